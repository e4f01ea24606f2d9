package parser

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

var update = flag.Bool("update", false, "rewrite the expected golden files")

// goldenObserved is when the golden files are taken to be read: the date of
// times of day in a file without a date in its name.
var goldenObserved = time.Date(2026, 4, 6, 15, 0, 0, 0, time.UTC)

// TestGoldenText parses each testdata/text/<name>.log as the receiver does
// (a header's message from the next line, unparseable JSON kept raw) and
// compares the records with <name>.yaml. Each record also carries the test
// attributes test.lines (the 1-based lines it was made of) and test.flags,
// so that the expected files show the grouping and what was counted.
// -update rewrites them.
func TestGoldenText(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "text", "*.log"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".log")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			require.NoError(t, err)
			p := New(Options{})
			p.SetSource(filepath.Base(in), goldenObserved)
			got := parseLines(p, splitLines(string(data)))
			expected := filepath.Join("testdata", "text", name+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, expected, got))
			}
			want, err := golden.ReadLogs(expected)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got))
		})
	}
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// parseLines turns lines into records as the receiver's buildLogs does:
// one ScopeLogs per logger in the order of first use, a header completed by
// the next line, empty lines skipped, unparseable lines kept raw.
func parseLines(p *Parser, lines []string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	scopes := map[string]plog.LogRecordSlice{}
	for i := 0; i < len(lines); i++ {
		lr := plog.NewLogRecord()
		first := i + 1
		res := p.Parse(lines[i], lr)
		if res.Flags&FlagHeader != 0 {
			next := ""
			if i+1 < len(lines) {
				next = lines[i+1]
			}
			if p.Continue(next, lr, &res) {
				i++
			}
		}
		if res.Err != nil {
			if res.Flags&FlagEmpty != 0 {
				continue
			}
			SetRaw(lr, res.Line, res.Err)
		}
		lineNums := lr.Attributes().PutEmptySlice("test.lines")
		for n := first; n <= i+1; n++ {
			lineNums.AppendEmpty().SetInt(int64(n))
		}
		lr.Attributes().PutStr("test.flags", flagNames(res.Flags))
		recs, ok := scopes[res.Scope]
		if !ok {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(res.Scope)
			recs = sl.LogRecords()
			scopes[res.Scope] = recs
		}
		lr.MoveTo(recs.AppendEmpty())
	}
	return ld
}

var flagNameList = []struct {
	f    Flags
	name string
}{
	{FlagEmpty, "empty"}, {FlagCRLF, "crlf"}, {FlagBOM, "bom"}, {FlagInvalidUTF8, "invalid_utf8"},
	{FlagInvalidJSON, "invalid_json"}, {FlagNotObject, "not_object"}, {FlagDepthCapped, "depth_capped"},
	{FlagDuplicateKey, "duplicate_key"}, {FlagBadTimestamp, "bad_timestamp"}, {FlagUnstructured, "unstructured"},
	{FlagHeader, "header"}, {FlagUnpairedHeader, "unpaired_header"},
}

func flagNames(f Flags) string {
	var names []string
	for _, fn := range flagNameList {
		if f&fn.f != 0 {
			names = append(names, fn.name)
		}
	}
	return strings.Join(names, ",")
}
