package redline_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// componentMetadata is the part of an mdatagen metadata.yaml this test reads.
type componentMetadata struct {
	Type          string `yaml:"type"`
	DisplayName   string `yaml:"display_name"`
	GithubProject string `yaml:"github_project"`
	Status        struct {
		Class               string         `yaml:"class"`
		DisableCodecovBadge bool           `yaml:"disable_codecov_badge"`
		Codeowners          map[string]any `yaml:"codeowners"`
	} `yaml:"status"`
}

// TestComponentMetadataIsComplete keeps every component's metadata.yaml, and
// the status table mdatagen writes from it into the README, free of what the
// project does not have: every component has a display name, no badge points
// at a coverage service or issue labels redline does not use, and no code
// owners row is empty.
func TestComponentMetadataIsComplete(t *testing.T) {
	var files []string
	for _, kind := range []string{"receiver", "processor", "exporter", "extension"} {
		found, err := filepath.Glob(filepath.Join(kind, "*", "metadata.yaml"))
		require.NoError(t, err)
		nested, err := filepath.Glob(filepath.Join(kind, "*", "*", "metadata.yaml"))
		require.NoError(t, err)
		files = append(append(files, found...), nested...)
	}
	require.GreaterOrEqual(t, len(files), 8, "every redline component has a metadata.yaml")
	for _, file := range files {
		t.Run(filepath.Dir(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var md componentMetadata
			require.NoError(t, yaml.Unmarshal(data, &md))
			assert.NotEmpty(t, md.Type)
			assert.NotEmpty(t, md.DisplayName, "display_name")
			assert.Equal(t, "redline-otel/redline", md.GithubProject)
			assert.True(t, md.Status.DisableCodecovBadge, "status.disable_codecov_badge: redline has no coverage service")
			assert.Empty(t, md.Status.Codeowners, "no code owners row: redline's components are owned by the project")

			readme, err := os.ReadFile(filepath.Join(filepath.Dir(file), "README.md"))
			require.NoError(t, err)
			assert.Contains(t, string(readme), "# "+md.DisplayName, "README status table generated from this metadata (make generate)")
			for _, badge := range []string{"codecov.io", "img.shields.io", "Code Owners"} {
				assert.NotContains(t, string(readme), badge)
			}
		})
	}
}
