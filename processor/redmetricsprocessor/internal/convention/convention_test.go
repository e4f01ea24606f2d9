package convention

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The table is data the engine trusts: every convention must be complete and
// unambiguous.
func TestTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range Table {
		assert.NotEmpty(t, c.Name, i)
		assert.False(t, seen[c.Name], "duplicate name %q", c.Name)
		seen[c.Name] = true
		assert.NotEmpty(t, c.Writers, c.Name)
		assert.NotEmpty(t, c.Status, "%s has no status attribute", c.Name)
		assert.NotEmpty(t, c.Method, "%s has no method attribute", c.Name)
		for _, d := range c.Durations {
			assert.NotZero(t, d.Unit.Divisor(), "%s: unit %q of %s", c.Name, d.Unit, d.Field)
		}
		for _, f := range allFields(c) {
			assert.Equal(t, strings.TrimSpace(f), f, c.Name)
			assert.NotEmpty(t, f, c.Name)
		}
		found, ok := Lookup(c.Name)
		assert.True(t, ok)
		assert.Equal(t, c.Name, found.Name)
	}
	assert.Equal(t, len(Table), len(Names()))
	_, ok := Lookup("nope")
	assert.False(t, ok)
}

// Conventions that share a status attribute must be told apart: all but the
// last of them need Requires, or the later ones could never be reached.
func TestSharedStatusAttributesAreDisambiguated(t *testing.T) {
	users := map[string][]Convention{}
	for _, c := range Table {
		for _, s := range c.Status {
			users[s.Field] = append(users[s.Field], c)
		}
	}
	for field, cs := range users {
		for _, c := range cs[:len(cs)-1] {
			assert.NotEmpty(t, c.Requires, "%s shares %q with a later convention but has no Requires", c.Name, field)
		}
	}
}

// A duration attribute is read only through the convention a record matched,
// then through Generic's, which every record falls back to: a name may mean
// different units in two conventions (Envoy's "duration" is in ms, Caddy's in
// s), but not one that Generic reads too.
func TestGenericDurationsAreUnambiguous(t *testing.T) {
	generic, ok := Lookup(Generic)
	assert.True(t, ok)
	units := map[string]Unit{}
	for _, d := range generic.Durations {
		units[d.Field] = d.Unit
	}
	for _, c := range Table {
		for _, d := range c.Durations {
			if u, ok := units[d.Field]; ok {
				assert.Equal(t, u, d.Unit, "%s reads %q in %s, %s in %s", c.Name, d.Field, d.Unit, Generic, u)
			}
		}
	}
}

func TestMarkdownListsEveryField(t *testing.T) {
	md := Markdown()
	for _, c := range Table {
		for _, f := range allFields(c) {
			assert.Contains(t, md, "`"+f+"`", c.Name)
		}
	}
	for _, f := range OperationFallback {
		assert.NotEmpty(t, f)
	}
}

func allFields(c Convention) []string {
	var out []string
	for _, s := range c.Status {
		out = append(out, s.Field)
	}
	out = append(out, c.Requires...)
	if c.DisconnectFlags != "" {
		out = append(out, c.DisconnectFlags)
	}
	out = append(out, c.Service...)
	out = append(out, c.Method...)
	out = append(out, c.Route...)
	out = append(out, c.Path...)
	out = append(out, c.RequestLine...)
	for _, d := range c.Durations {
		out = append(out, d.Field)
	}
	return out
}
