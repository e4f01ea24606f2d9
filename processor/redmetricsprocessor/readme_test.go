package redmetricsprocessor

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"
)

// The README's tables of what is read where are generated from the one
// convention table, so they list every attribute the engine reads.
func TestREADMEConventionTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"conventions table", convention.Markdown()},
		{"usage table", convention.UsageMarkdown()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile("README.md")
			require.NoError(t, err)
			readme := string(raw)
			beginMark := "<!-- " + tc.name + ": generated from internal/convention by TestREADMEConventionTables (-update) -->\n"
			endMark := "<!-- end of " + tc.name + " -->\n"
			begin := strings.Index(readme, beginMark)
			end := strings.Index(readme, endMark)
			require.True(t, begin >= 0 && end > begin, "README.md lacks the %s markers", tc.name)
			begin += len(beginMark)
			if *update {
				readme = readme[:begin] + tc.want + readme[end:]
				require.NoError(t, os.WriteFile("README.md", []byte(readme), 0o600))
				return
			}
			require.Equal(t, tc.want, readme[begin:end], "README.md's %s is stale: go test -run TestREADMEConventionTables -update", tc.name)
		})
	}
}
