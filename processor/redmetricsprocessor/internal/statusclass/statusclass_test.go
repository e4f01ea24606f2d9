package statusclass

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHTTPCode(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		code int64
		want Class
	}{
		{"1xx is success", 101, Success},
		{"200", 200, Success},
		{"204", 204, Success},
		{"3xx is success", 304, Success},
		{"399", 399, Success},
		{"400", 400, ClientError},
		{"404", 404, ClientError},
		{"429 is a client error by default", 429, ClientError},
		{"499 is a disconnect", 499, Disconnect},
		{"500", 500, ServerError},
		{"502", 502, ServerError},
		{"503 is busy", 503, Busy},
		{"504", 504, ServerError},
		{"599", 599, ServerError},
		{"0 is no status", 0, Unknown},
		{"99 is no status", 99, Unknown},
		{"600 is no status", 600, Unknown},
		{"negative", -1, Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.HTTPCode(tc.code))
		})
	}
}

func TestRPC(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		num  int64
		want Class
	}{
		{"OK", 0, Success},
		{"CANCELLED", 1, Disconnect},
		{"UNKNOWN", 2, ServerError},
		{"INVALID_ARGUMENT", 3, ClientError},
		{"DEADLINE_EXCEEDED", 4, ServerError},
		{"NOT_FOUND", 5, ClientError},
		{"ALREADY_EXISTS", 6, ClientError},
		{"PERMISSION_DENIED", 7, ClientError},
		{"RESOURCE_EXHAUSTED", 8, Busy},
		{"FAILED_PRECONDITION", 9, ClientError},
		{"ABORTED", 10, ClientError},
		{"OUT_OF_RANGE", 11, ClientError},
		{"UNIMPLEMENTED", 12, ServerError},
		{"INTERNAL", 13, ServerError},
		{"UNAVAILABLE", 14, ServerError},
		{"DATA_LOSS", 15, ServerError},
		{"UNAUTHENTICATED", 16, ClientError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.RPCCode(tc.num), "number")
			for _, spelling := range []string{tc.name, lower(tc.name), mixed(tc.name)} {
				cl, kind := c.String(spelling, false)
				assert.Equal(t, tc.want, cl, spelling)
				assert.Equal(t, KindRPC, kind, spelling)
			}
			cl, kind := c.String(itoa(tc.num), true)
			assert.Equal(t, tc.want, cl, "numeric text in an RPC field")
			assert.Equal(t, KindRPC, kind)
		})
	}
	assert.Equal(t, Unknown, c.RPCCode(17))
	assert.Equal(t, Unknown, c.RPCCode(-1))
}

func TestString(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		in   string
		rpc  bool
		want Class
		kind Kind
	}{
		{"literal busy", "503-busy", false, Busy, KindLiteral},
		{"literal disconnect", "client-disconnect", false, Disconnect, KindLiteral},
		{"literal class", "5xx", false, ServerError, KindLiteral},
		{"literal upper case", "CLIENT-DISCONNECT", false, Disconnect, KindLiteral},
		{"http number as text", "404", false, ClientError, KindHTTP},
		{"http 503 as text", "503", false, Busy, KindHTTP},
		{"http 499 as text", "499", false, Disconnect, KindHTTP},
		{"number 5 in an http field is no status", "5", false, Unknown, KindNone},
		{"number 404 in an rpc field is no code", "404", true, Unknown, KindNone},
		{"not a number", "12abc", false, Unknown, KindNone},
		{"unknown word", "success", false, Unknown, KindNone},
		{"empty", "", false, Unknown, KindNone},
		{"very long", "THIS_IS_NOT_A_STATUS_CODE_AT_ALL_REALLY", false, Unknown, KindNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, kind := c.String(tc.in, tc.rpc)
			assert.Equal(t, tc.want, cl)
			assert.Equal(t, tc.kind, kind)
		})
	}
}

func TestConfigurable(t *testing.T) {
	c, err := New(Config{
		BusyStatusCodes:       []int{429, 503},
		DisconnectStatusCodes: []int{},
		RPCClasses:            map[string]string{"unavailable": "503-busy", "Cancelled": "5xx"},
	})
	require.NoError(t, err)
	assert.Equal(t, Busy, c.HTTPCode(429))
	assert.Equal(t, Busy, c.HTTPCode(503))
	assert.Equal(t, ClientError, c.HTTPCode(499), "no disconnect codes configured")
	assert.Equal(t, Busy, c.RPCCode(14))
	cl, _ := c.String("UNAVAILABLE", false)
	assert.Equal(t, Busy, cl)
	assert.Equal(t, ServerError, c.RPCCode(1))
	cl, _ = c.String("canceled", false)
	assert.Equal(t, ServerError, cl, "Connect's spelling follows CANCELLED's override")

	noBusy, err := New(Config{BusyStatusCodes: []int{}})
	require.NoError(t, err)
	assert.Equal(t, ServerError, noBusy.HTTPCode(503))

	for _, bad := range []Config{
		{BusyStatusCodes: []int{42}},
		{DisconnectStatusCodes: []int{700}},
		{RPCClasses: map[string]string{"NOPE": "5xx"}},
		{RPCClasses: map[string]string{"OK": "fine"}},
	} {
		_, err := New(bad)
		assert.Error(t, err)
	}
}

// Connect writes its codes in lower case, and CANCELLED as "canceled".
func TestConnectCodeNames(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	for name, want := range map[string]Class{
		"canceled": Disconnect, "unknown": ServerError, "invalid_argument": ClientError,
		"deadline_exceeded": ServerError, "not_found": ClientError, "already_exists": ClientError,
		"permission_denied": ClientError, "resource_exhausted": Busy, "failed_precondition": ClientError,
		"aborted": ClientError, "out_of_range": ClientError, "unimplemented": ServerError,
		"internal": ServerError, "unavailable": ServerError, "data_loss": ServerError,
		"unauthenticated": ClientError,
	} {
		cl, kind := c.String(name, false)
		assert.Equal(t, want, cl, name)
		assert.Equal(t, KindRPC, kind, name)
	}
}

func TestClassNames(t *testing.T) {
	for _, c := range All {
		p, ok := Parse(c.String())
		assert.True(t, ok)
		assert.Equal(t, c, p)
	}
	assert.True(t, ClientError.IsError())
	assert.True(t, ServerError.IsError())
	assert.False(t, Busy.IsError())
	assert.False(t, Disconnect.IsError())
	assert.False(t, Success.IsError())
	assert.Empty(t, Unknown.String())
	assert.Empty(t, Class(99).String())
	assert.Len(t, RPCCodeNames(), 17)
}

func TestStringDoesNotAllocate(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		c.String("not_found", false)
		c.String("503-busy", false)
		c.String("200", false)
	})
	assert.Zero(t, allocs)
}

func BenchmarkString(b *testing.B) {
	c, err := New(Config{})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		c.String("resource_exhausted", false)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"OK", "503-busy", "404", "x", "", "99999999999999999999"} {
		f.Add(s, false)
	}
	c, err := New(Config{})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, s string, rpc bool) {
		cl, kind := c.String(s, rpc)
		if (cl == Unknown) != (kind == KindNone) {
			t.Fatalf("class %v with kind %v for %q", cl, kind, s)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func mixed(s string) string {
	b := []byte(lower(s))
	b[0] -= 32
	return string(b)
}

func itoa(n int64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
