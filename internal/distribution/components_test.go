package distribution

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.yaml.in/yaml/v3"
)

type builderEntry struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
}

type builderConfig struct {
	Receivers  []builderEntry `yaml:"receivers"`
	Processors []builderEntry `yaml:"processors"`
	Exporters  []builderEntry `yaml:"exporters"`
	Extensions []builderEntry `yaml:"extensions"`
	Connectors []builderEntry `yaml:"connectors"`
}

// importPath is the Go package an ocb entry compiles in: `import` when given,
// else the module path of `gomod`.
func (e builderEntry) importPath() string {
	if e.Import != "" {
		return e.Import
	}
	return strings.Fields(e.GoMod)[0]
}

// countFactories counts factories, not map keys: MakeFactoryMap also files a
// factory under its deprecated alias (otlp_grpc for otlp, say).
func countFactories[T component.Factory](m map[component.Type]T) int {
	n := 0
	for typ, f := range m {
		if f.Type() == typ {
			n++
		}
	}
	return n
}

// TestComponentsMatchBuilderConfig keeps Components() and the ocb manifest in
// step: the same packages, and as many factories of each kind as entries.
func TestComponentsMatchBuilderConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "builder-config.yaml"))
	require.NoError(t, err)
	var manifest builderConfig
	require.NoError(t, yaml.Unmarshal(raw, &manifest))

	file, err := parser.ParseFile(token.NewFileSet(), "components.go", nil, parser.ImportsOnly)
	require.NoError(t, err)
	imported := map[string]bool{}
	for _, spec := range file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		require.NoError(t, err)
		imported[path] = true
	}

	factories, err := Components()
	require.NoError(t, err)

	for _, kind := range []struct {
		name    string
		entries []builderEntry
		count   int
	}{
		{"receivers", manifest.Receivers, countFactories(factories.Receivers)},
		{"processors", manifest.Processors, countFactories(factories.Processors)},
		{"exporters", manifest.Exporters, countFactories(factories.Exporters)},
		{"extensions", manifest.Extensions, countFactories(factories.Extensions)},
		{"connectors", manifest.Connectors, countFactories(factories.Connectors)},
	} {
		t.Run(kind.name, func(t *testing.T) {
			for _, e := range kind.entries {
				assert.True(t, imported[e.importPath()], "builder-config.yaml has %s but components.go does not import it", e.importPath())
			}
			assert.Len(t, kind.entries, kind.count, "factories of this kind in Components() vs entries in builder-config.yaml")
		})
	}
}
