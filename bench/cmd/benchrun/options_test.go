package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchDirForTest is the real bench/ folder (parseOptions checks that it
// holds the reference manifest).
func benchDirForTest(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	require.NoError(t, err)
	return dir
}

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestParseOptionsDefaults(t *testing.T) {
	bench := benchDirForTest(t)
	o, err := parseOptions(nil, envOf(nil), bench)
	require.NoError(t, err)
	assert.Equal(t, bench, o.benchDir)
	assert.Equal(t, filepath.Dir(bench), o.root)
	assert.Equal(t, uint64(2_000_000), o.lines)
	assert.Equal(t, 3, o.runs)
	assert.Equal(t, "A,B,C,D,OTLP", o.scenarios.String())
	assert.Equal(t, 500*time.Second, o.runTimeout, "lines ÷ 4,000 s")
	assert.Equal(t, filepath.Join(filepath.Dir(bench), "config", "collector.yaml"), o.redlineConfig)
	assert.Equal(t, filepath.Join(bench, "RESULTS.md"), o.results)
	assert.Empty(t, o.baselineBin)
	assert.Empty(t, o.baselineConfig, "no baseline, no baseline configuration")

	fromRoot, err := parseOptions(nil, envOf(nil), filepath.Dir(bench))
	require.NoError(t, err)
	assert.Equal(t, bench, fromRoot.benchDir, "run from the repository root, the bench dir is ./bench")
}

func TestParseOptionsEnvironmentAndFlags(t *testing.T) {
	bench := benchDirForTest(t)
	dir := t.TempDir()
	oldBin, oldConfig := filepath.Join(dir, "redline-old"), filepath.Join(dir, "collector-old.yaml")
	for _, p := range []string{oldBin, oldConfig} {
		require.NoError(t, os.WriteFile(p, nil, 0o755))
	}
	env := map[string]string{
		"BENCH_LINES": "1_000_000", "BENCH_RUNS": "2", "BENCH_SCENARIOS": "b, otlp", "BENCH_SKIP_BUILD": "1",
		"BENCH_BASELINE_BIN": oldBin, "BENCH_BASELINE_CONFIG": oldConfig, "BENCH_OTLP_DURATION": "10s",
	}
	o, err := parseOptions([]string{"-runs", "5"}, envOf(env), bench)
	require.NoError(t, err)
	assert.Equal(t, uint64(1_000_000), o.lines)
	assert.Equal(t, 5, o.runs, "a flag on the command line wins over the environment")
	assert.Equal(t, "B,OTLP", o.scenarios.String())
	assert.True(t, o.skipBuild)
	assert.Equal(t, 10*time.Second, o.otlpDuration)
	assert.Equal(t, oldBin, o.baselineBin)
	assert.Equal(t, oldConfig, o.baselineConfig)

	_, err = parseOptions([]string{"-baseline-bin", "redline-old"}, envOf(nil), dir)
	require.Error(t, err, "the temporary dir is no bench dir")
	o, err = parseOptions([]string{"-bench-dir", bench, "-baseline-bin", "redline-old"}, envOf(nil), dir)
	require.NoError(t, err)
	assert.Equal(t, oldBin, o.baselineBin, "relative to the working directory")
	assert.Equal(t, o.redlineConfig, o.baselineConfig, "without its own, the baseline runs redline's default configuration")
}

func TestParseOptionsErrors(t *testing.T) {
	bench := benchDirForTest(t)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "lines", env: map[string]string{"BENCH_LINES": "many"}, want: `BENCH_LINES="many": want a positive integer`},
		{name: "zero lines", args: []string{"-lines", "0"}, want: "want a positive integer"},
		{name: "runs", env: map[string]string{"BENCH_RUNS": "0"}, want: "runs 0: want a positive integer"},
		{name: "scenario", env: map[string]string{"BENCH_SCENARIOS": "A,E"}, want: `scenario "E": want A, B, C, D or OTLP`},
		{name: "duration", env: map[string]string{"BENCH_OTLP_DURATION": "soon"}, want: `BENCH_OTLP_DURATION="soon"`},
		{name: "baseline binary missing", env: map[string]string{"BENCH_BASELINE_BIN": missing}, want: "baseline: stat " + missing},
		{name: "baseline config alone", args: []string{"-baseline-config", "config.yaml"}, want: "baseline-config without baseline-bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOptions(append([]string{"-bench-dir", bench}, tc.args...), envOf(tc.env), bench)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// A variable that does not parse is ignored when its flag is given.
	_, err := parseOptions([]string{"-runs", "2"}, envOf(map[string]string{"BENCH_RUNS": "x"}), bench)
	assert.NoError(t, err)
}

func TestRoundOrderRotates(t *testing.T) {
	names := func(sides []side) (out []string) {
		for _, s := range sides {
			out = append(out, s.collector)
		}
		return out
	}
	two := []side{{collector: "redline"}, {collector: "reference"}}
	assert.Equal(t, []string{"redline", "reference"}, names(roundOrder(two, 0)))
	assert.Equal(t, []string{"reference", "redline"}, names(roundOrder(two, 1)), "two sides alternate, as before")
	assert.Equal(t, []string{"redline", "reference"}, names(roundOrder(two, 2)))

	three := []side{{collector: "redline"}, {collector: "baseline"}, {collector: "reference"}}
	first := map[string]int{}
	for round := range 3 {
		order := names(roundOrder(three, round))
		assert.ElementsMatch(t, []string{"redline", "baseline", "reference"}, order)
		first[order[0]]++
	}
	assert.Equal(t, map[string]int{"redline": 1, "baseline": 1, "reference": 1}, first, "each runs first once in three rounds")
	assert.Empty(t, roundOrder(nil, 1))
}

func TestBaselineSides(t *testing.T) {
	bench := benchDirForTest(t)
	root := filepath.Dir(bench)
	old := filepath.Join(t.TempDir(), "collector-old.yaml")
	require.NoError(t, os.WriteFile(old, []byte("receivers:\n  accesslog: {}\n"), 0o644))
	o := options{benchDir: bench, root: root, redlineConfig: filepath.Join(root, "config", "collector.yaml"),
		baselineBin: "/old/redline", baselineConfig: old}
	defs := scenarioDefs(o, "/in.jsonl")
	require.Len(t, defs, 4)
	for _, def := range defs[:3] {
		assert.Equal(t, def.redline.configs, def.baseline.configs, "scenario %s: the baseline runs redline's file", def.id)
	}
	d := defs[3]
	assert.Equal(t, old, d.baseline.configs[0], "D: the baseline runs its own default configuration")
	assert.Contains(t, d.baseline.env, "REDLINE_RATE_LIMIT_PER_SECOND=1000000000")
	assert.Equal(t, o.redlineConfig, d.redline.configs[0])

	bins := binaries{redline: "/new", baseline: "/old", reference: "/ref"}
	var collectors []string
	for _, s := range sidesOf(bins, d) {
		collectors = append(collectors, s.collector)
	}
	assert.Equal(t, []string{"redline", "baseline", "reference"}, collectors)
	bins.baseline = ""
	assert.Len(t, sidesOf(bins, d), 2, "no baseline binary, no baseline side")
}
