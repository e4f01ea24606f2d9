package snapshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
)

type fakeRegistry struct {
	component.StartFunc
	component.ShutdownFunc
	sources map[string]Source
}

func (r *fakeRegistry) RegisterSource(name string, src Source) func() {
	r.sources[name] = src
	return func() { delete(r.sources, name) }
}

type fakeHost struct {
	exts map[component.ID]component.Component
}

func (h fakeHost) GetExtensions() map[component.ID]component.Component { return h.exts }

type plainExtension struct {
	component.StartFunc
	component.ShutdownFunc
}

func TestRegisterWithHost(t *testing.T) {
	regA := &fakeRegistry{sources: map[string]Source{}}
	regB := &fakeRegistry{sources: map[string]Source{}}
	host := fakeHost{exts: map[component.ID]component.Component{
		component.MustNewID("healthz"):                regA,
		component.MustNewIDWithName("healthz", "two"): regB,
		component.MustNewID("zpages"):                 plainExtension{},
	}}
	src := SourceFunc(func() any { return map[string]int{"n": 1} })
	name := Name(component.KindProcessor, component.MustNewIDWithName("redmetrics", "x"))
	assert.Equal(t, "processor/redmetrics/x", name)

	unregister := RegisterWithHost(host, name, src)
	assert.Contains(t, regA.sources, name)
	assert.Contains(t, regB.sources, name)
	assert.Equal(t, map[string]int{"n": 1}, regA.sources[name].Snapshot())

	unregister()
	unregister() // safe twice
	assert.Empty(t, regA.sources)
	assert.Empty(t, regB.sources)
}

func TestRegisterWithNilHost(t *testing.T) {
	unregister := RegisterWithHost(nil, "x", SourceFunc(func() any { return nil }))
	unregister()
}
