package redline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

const (
	coreModulePrefix    = "go.opentelemetry.io/collector"
	contribModulePrefix = "github.com/open-telemetry/opentelemetry-collector-contrib"
	builderModule       = coreModulePrefix + "/cmd/builder"
	mdatagenModule      = coreModulePrefix + "/cmd/mdatagen"
)

// release is one collector release: core's unstable modules (v0.x.0), its
// stable ones (v1.y.0) and contrib's modules (v0.x.z, same minor as core).
type release struct{ core, stable, contrib string }

// The release is read from go.mod (otelcol and component); every other place
// must agree with it.
func releaseOf(t *testing.T, mod *modfile.File) release {
	t.Helper()
	r := release{core: requiredVersion(mod, coreModulePrefix+"/otelcol"), stable: requiredVersion(mod, coreModulePrefix+"/component")}
	require.NotEmpty(t, r.core, "go.mod requires no otelcol")
	require.NotEmpty(t, r.stable, "go.mod requires no component")
	r.contrib = requiredVersion(mod, contribModulePrefix+"/extension/storage/filestorage")
	return r
}

// check says what is wrong with version v of module path, or "" when it
// belongs to release r.
func (r release) check(path, v string) string {
	switch {
	case strings.HasPrefix(path, contribModulePrefix+"/"):
		if semver.MajorMinor(v) != semver.MajorMinor(r.core) || v != r.contrib {
			return path + " " + v + ": contrib modules must be at " + r.contrib
		}
	case path == coreModulePrefix || strings.HasPrefix(path, coreModulePrefix+"/"):
		want := r.core
		if semver.Major(v) == "v1" {
			want = r.stable
		}
		if v != want {
			return path + " " + v + ": collector modules must be at " + r.core + " (stable ones " + r.stable + ")"
		}
	}
	return ""
}

func requiredVersion(mod *modfile.File, path string) string {
	for _, req := range mod.Require {
		if req.Mod.Path == path {
			return req.Mod.Version
		}
	}
	return ""
}

func parseModFile(t *testing.T, path string) *modfile.File {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	mod, err := modfile.Parse(path, data, nil)
	require.NoError(t, err)
	return mod
}

// TestReleasePinsAgree fails when builder-config.yaml, go.mod, the deploy
// tests' module and internal/tools (the ocb that compiles the distribution)
// name different collector releases: ocb refuses such a build, and a module
// left behind is a fix or a security update users do not get.
func TestReleasePinsAgree(t *testing.T) {
	root := parseModFile(t, "go.mod")
	r := releaseOf(t, root)

	for _, file := range []string{"go.mod", filepath.Join("deploy", "go.mod"), filepath.Join("bench", "go.mod")} {
		for _, req := range parseModFile(t, file).Require {
			if msg := r.check(req.Mod.Path, req.Mod.Version); msg != "" {
				t.Errorf("%s: %s", file, msg)
			}
		}
	}

	tools := parseModFile(t, filepath.Join("internal", "tools", "go.mod"))
	assert.Equal(t, r.core, requiredVersion(tools, builderModule), "internal/tools: ocb must be at the release it builds")
	// mdatagen is the one exception: the module proxy serves it whole only up
	// to v0.159.0. It generates code that builds against the release (every
	// component's generated files are compiled by this test run), and must
	// never be newer than the release.
	mdatagen := requiredVersion(tools, mdatagenModule)
	require.NotEmpty(t, mdatagen, "internal/tools requires no mdatagen")
	assert.LessOrEqual(t, semver.Compare(mdatagen, r.core), 0, "mdatagen %s is newer than the release %s", mdatagen, r.core)

	for _, gomod := range builderModules(t, "builder-config.yaml") {
		path, v, ok := strings.Cut(gomod, " ")
		require.True(t, ok, "builder-config.yaml: gomod %q has no version", gomod)
		if msg := r.check(path, v); msg != "" {
			t.Errorf("builder-config.yaml: %s", msg)
		}
	}
}

// builderModules returns every "module version" that an ocb manifest names.
func builderModules(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var manifest map[string]any
	require.NoError(t, yaml.Unmarshal(data, &manifest))
	var out []string
	for section, entries := range manifest {
		list, ok := entries.([]any)
		if !ok {
			continue
		}
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if gomod, ok := m["gomod"].(string); ok {
					out = append(out, gomod)
				}
			} else {
				t.Fatalf("%s: %s holds %T, want module entries", path, section, e)
			}
		}
	}
	require.NotEmpty(t, out, "%s names no modules", path)
	return out
}

// The check itself: a module left at another release is caught, whichever
// kind it is.
func TestReleaseCheck(t *testing.T) {
	r := release{core: "v0.165.0", stable: "v1.71.0", contrib: "v0.165.1"}
	for path, v := range map[string]string{
		coreModulePrefix + "/otelcol":                          "v0.165.0",
		coreModulePrefix + "/pdata":                            "v1.71.0",
		contribModulePrefix + "/extension/pprofextension":      "v0.165.1",
		"github.com/redline-otel/redline":                      "v0.0.0",
		"go.opentelemetry.io/otel":                             "v1.47.0",
		"go.opentelemetry.io/contrib/instrumentation/otelhttp": "v0.69.0",
	} {
		assert.Empty(t, r.check(path, v), path)
	}
	for path, v := range map[string]string{
		coreModulePrefix + "/otelcol":                     "v0.158.0",
		coreModulePrefix + "/pdata":                       "v1.64.0",
		contribModulePrefix + "/extension/pprofextension": "v0.158.0",
		contribModulePrefix + "/pkg/golden":               "v0.165.0",
	} {
		assert.NotEmpty(t, r.check(path, v), path+" "+v)
	}
}
