package deploy_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dockerStage is one FROM … stage of a Dockerfile with its instructions,
// continuation lines joined.
type dockerStage struct {
	from         string
	instructions [][2]string // {INSTRUCTION, arguments}
}

func parseDockerfile(t *testing.T, path string) []dockerStage {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var (
		stages []dockerStage
		line   strings.Builder
	)
	flush := func() {
		text := strings.TrimSpace(line.String())
		line.Reset()
		if text == "" {
			return
		}
		instr, args, _ := strings.Cut(text, " ")
		instr = strings.ToUpper(instr)
		args = strings.TrimSpace(args)
		if instr == "FROM" {
			stages = append(stages, dockerStage{from: args})
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, [2]string{instr, args})
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		raw := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(raw), "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(strings.TrimRight(raw, " \t"), "\\"); ok {
			line.WriteString(cont + " ")
			continue
		}
		line.WriteString(raw)
		flush()
	}
	require.NoError(t, sc.Err())
	flush()
	return stages
}

func (s dockerStage) all(instr string) []string {
	var out []string
	for _, in := range s.instructions {
		if in[0] == instr {
			out = append(out, in[1])
		}
	}
	return out
}

func (s dockerStage) last(instr string) string {
	all := s.all(instr)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// TestDockerfile keeps the image's promises: built by `make build` in a Go
// image, run from distroless as nonroot, the config it is told to read is
// the one baked in, the documented ports exposed, state on a volume.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	require.Len(t, stages, 2, "a build stage and a run stage")
	build, run := stages[0], stages[1]

	for _, st := range stages {
		assert.Regexp(t, `^[^ ]+@sha256:[0-9a-f]{64}( AS [a-z]+)?$`, st.from, "every base image is pinned by digest")
	}
	assert.True(t, strings.HasPrefix(build.from, "golang:"), "build stage from a Go image, not %q", build.from)
	assert.Contains(t, strings.Join(build.all("RUN"), "\n"), "make build", "the build runs the Makefile's make build (pinned ocb)")
	assert.Contains(t, build.all("ENV"), "CGO_ENABLED=0", "a static binary for distroless static")

	assert.True(t, strings.HasPrefix(run.from, "gcr.io/distroless/static-debian12:nonroot@"), "run stage from distroless static nonroot, not %q", run.from)
	user := run.last("USER")
	require.NotEmpty(t, user, "the run stage names its user")
	assert.NotEqual(t, "0", strings.Split(user, ":")[0])
	assert.NotEqual(t, "root", strings.Split(user, ":")[0])

	var entrypoint, cmd []string
	require.NoError(t, json.Unmarshal([]byte(run.last("ENTRYPOINT")), &entrypoint), "ENTRYPOINT in exec form")
	require.NoError(t, json.Unmarshal([]byte(run.last("CMD")), &cmd), "CMD in exec form")
	assert.Equal(t, []string{"/redline"}, entrypoint)
	require.Len(t, cmd, 1)
	cfgPath, ok := strings.CutPrefix(cmd[0], "--config=")
	require.True(t, ok, "CMD passes --config=")

	// The binary and the config the CMD names are copied in, the config
	// from the repository's default.
	copies := strings.Join(run.all("COPY"), "\n")
	assert.Contains(t, copies, "/src/bin/redline /redline")
	assert.Contains(t, copies, "config/collector.yaml "+cfgPath)
	_, err := os.Stat(filepath.Join("..", "config", "collector.yaml"))
	require.NoError(t, err)

	exposed := strings.Fields(strings.Join(run.all("EXPOSE"), " "))
	for _, p := range []string{"4317", "4318", "13133"} {
		assert.Contains(t, exposed, p, "EXPOSE %s", p)
	}

	// Everything written goes under the volume, which is also the working
	// directory, so relative paths in a config land there too.
	volume := run.last("VOLUME")
	require.NotEmpty(t, volume, "a VOLUME for state")
	var volumes []string
	require.NoError(t, json.Unmarshal([]byte(volume), &volumes))
	require.Len(t, volumes, 1)
	assert.Equal(t, volumes[0], run.last("WORKDIR"))
	env := strings.Join(run.all("ENV"), " ")
	assert.Contains(t, env, "REDLINE_STORAGE_DIR="+volumes[0]+"/", "file_storage under the volume")

	// The build context keeps what `make build` reads.
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	require.NoError(t, err)
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "Makefile", "builder-config.yaml", "config/collector.yaml",
		"internal/tools/go.mod", "internal/distribution/components.go"} {
		for _, p := range patterns {
			matched, err := filepath.Match(p, needed)
			require.NoError(t, err)
			first, _, _ := strings.Cut(needed, "/")
			assert.False(t, matched || p == first, "Dockerfile.dockerignore pattern %q excludes %s", p, needed)
		}
	}
}
