// Package loggen generates deterministic JSONL access logs in the three seed
// shapes redline tails: Aster's structured log lines, Astrocyte's gateway access
// log (whose msg is a JSON object inside a string) and aistack's access JSONL
// (nested extra and header maps).
//
// Line i depends only on the seed and i, so any range of lines can be produced
// again, in any order, by any process: the bench and the reliability suite
// write the same file from the same seed and can tell every line apart by its
// unique `seq` field (= i). Lines average about 280 bytes (245 to 320 by shape) and spread over 20
// services and 50 operations, every status class (2xx, 4xx, 5xx, 503-busy,
// client-disconnect) as HTTP numbers and gRPC names, with emails, tokens and
// identifiers for a masking stage to find.
package loggen

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// Version changes whenever the lines of a seed change, so a cached file
// named after it is never stale.
const Version = 1

// Shape is one of the three seed log formats.
type Shape uint8

const (
	// ShapeAster is Aster's JSON log line: ts, level, logger, msg, service,
	// method, status_code as a gRPC name, duration_ms.
	ShapeAster Shape = iota
	// ShapeAstrocyte is Astrocyte's gateway access log: timestamp with
	// microseconds and offset, upper-case level, and msg holding the request
	// as a JSON object in a string.
	ShapeAstrocyte
	// ShapeAIStack is aistack's access JSONL: ts, request_id, category, model,
	// HTTP method and path, status as a number or "503-busy" /
	// "client-disconnect", latency_ms, nested extra and request_headers maps.
	ShapeAIStack
)

func (s Shape) String() string {
	switch s {
	case ShapeAster:
		return "aster"
	case ShapeAstrocyte:
		return "astrocyte"
	case ShapeAIStack:
		return "aistack"
	}
	return "unknown"
}

// Class is the status class of a generated request, as redline's redmetrics
// component classifies it.
type Class uint8

const (
	Class2xx Class = iota
	Class4xx
	Class5xx
	ClassBusy
	ClassDisconnect
)

func (c Class) String() string {
	return [...]string{"2xx", "4xx", "5xx", "503-busy", "client-disconnect"}[c]
}

// Services is the set of service names lines are spread over.
var Services = [20]string{
	"Hello", "Ledger", "Stream", "Billing", "Catalog", "Checkout", "Identity", "Inventory", "Search", "Recall",
	"Retain", "Ingest", "Notify", "Payments", "Profile", "Quota", "Render", "Scheduler", "Storage", "Gateway",
}

// operation is one of the 50 request kinds: its gRPC method (Aster) and its
// HTTP method and route (Astrocyte, aistack). Routes with {id} are filled with
// a numeric id, so a RED stage has to normalise them back.
type operation struct {
	rpc, method, route string
}

// Operations lists the 50 operations; exported through OperationCount only,
// the table itself is an implementation detail.
var operations = [50]operation{
	{"sayHello", "GET", "/v1/hello"}, {"getContract", "GET", "/v1/contracts/{id}"},
	{"submit", "POST", "/v1/contracts"}, {"watch", "GET", "/v1/stream/{id}"},
	{"listItems", "GET", "/v1/items"}, {"getItem", "GET", "/v1/items/{id}"},
	{"createItem", "POST", "/v1/items"}, {"updateItem", "PUT", "/v1/items/{id}"},
	{"deleteItem", "DELETE", "/v1/items/{id}"}, {"recall", "POST", "/v1/recall"},
	{"retain", "POST", "/v1/retain"}, {"forget", "DELETE", "/v1/memories/{id}"},
	{"getMemory", "GET", "/v1/memories/{id}"}, {"health", "GET", "/v1/health"},
	{"chat", "POST", "/v1/chat/completions"}, {"complete", "POST", "/v1/completions"},
	{"embed", "POST", "/v1/embeddings"}, {"transcribe", "POST", "/v1/audio/transcriptions"},
	{"speak", "POST", "/v1/audio/speech"}, {"listModels", "GET", "/v1/models"},
	{"charge", "POST", "/v1/charges"}, {"refund", "POST", "/v1/charges/{id}/refund"},
	{"getInvoice", "GET", "/v1/invoices/{id}"}, {"listInvoices", "GET", "/v1/invoices"},
	{"login", "POST", "/v1/sessions"}, {"logout", "DELETE", "/v1/sessions/{id}"},
	{"whoami", "GET", "/v1/me"}, {"updateProfile", "PATCH", "/v1/me"},
	{"search", "GET", "/v1/search"}, {"suggest", "GET", "/v1/suggest"},
	{"reserve", "POST", "/v1/stock/{id}/reserve"}, {"release", "POST", "/v1/stock/{id}/release"},
	{"notify", "POST", "/v1/notifications"}, {"ack", "POST", "/v1/notifications/{id}/ack"},
	{"upload", "PUT", "/v1/objects/{id}"}, {"download", "GET", "/v1/objects/{id}"},
	{"schedule", "POST", "/v1/jobs"}, {"cancelJob", "DELETE", "/v1/jobs/{id}"},
	{"getJob", "GET", "/v1/jobs/{id}"}, {"render", "POST", "/v1/render"},
	{"getQuota", "GET", "/v1/quota"}, {"setQuota", "PUT", "/v1/quota/{id}"},
	{"poll", "POST", "/v1/ingest/poll"}, {"push", "POST", "/v1/ingest/push"},
	{"checkout", "POST", "/v1/checkout"}, {"getCart", "GET", "/v1/cart/{id}"},
	{"addToCart", "POST", "/v1/cart/{id}/items"}, {"verify", "POST", "/v1/verify"},
	{"rotateKey", "POST", "/v1/keys/{id}/rotate"}, {"getStatus", "GET", "/v1/status"},
}

// OperationCount is the number of distinct operations (50).
const OperationCount = len(operations)

// status is one status outcome: its class, the HTTP code used by the HTTP
// shapes (0 for aistack's literal "503-busy"/"client-disconnect") and its gRPC
// name for Aster. Weights sum to 1000 per mille.
type status struct {
	class   Class
	http    int
	literal string // aistack writes busy and disconnect as these strings
	grpc    string
	weight  int
}

var statuses = [...]status{
	{Class2xx, 200, "", "OK", 770},
	{Class2xx, 201, "", "OK", 40},
	{Class2xx, 204, "", "OK", 20},
	{Class2xx, 304, "", "OK", 10},
	{Class4xx, 400, "", "INVALID_ARGUMENT", 25},
	{Class4xx, 401, "", "UNAUTHENTICATED", 10},
	{Class4xx, 403, "", "PERMISSION_DENIED", 10},
	{Class4xx, 404, "", "NOT_FOUND", 30},
	{Class4xx, 429, "", "FAILED_PRECONDITION", 5},
	{Class5xx, 500, "", "INTERNAL", 20},
	{Class5xx, 502, "", "UNAVAILABLE", 8},
	{Class5xx, 504, "", "DEADLINE_EXCEEDED", 7},
	{ClassBusy, 503, "503-busy", "RESOURCE_EXHAUSTED", 30},
	{ClassDisconnect, 499, "client-disconnect", "CANCELLED", 15},
}

// statusByMille maps a draw in [0,1000) to its status index.
var statusByMille = func() (t [1000]uint8) {
	i := 0
	for s, st := range statuses {
		for w := 0; w < st.weight; w++ {
			t[i] = uint8(s)
			i++
		}
	}
	if i != 1000 {
		panic("loggen: status weights must sum to 1000")
	}
	return t
}()

var (
	categories = [...]string{"llm", "asr", "tts", "embed", "rerank"}
	models     = [...]string{"qwen2.5-7b", "sensevoice-small", "kokoro", "bge-m3", "llama3.1-8b", "whisper-large-v3"}
	providers  = [...]string{"vllm", "sensevoice", "kokoro", "tei", "ollama"}
	agents     = [...]string{"httpx/0.27", "curl/8.5.0", "python-requests/2.32", "Go-http-client/1.1", "okhttp/4.12"}
	domains    = [...]string{"example.com", "example.org", "mail.test", "corp.example"}
	users      = [...]string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	loggers    = [...]string{"aster.server", "aster.ratelimit", "aster.client"}
)

// base is the timestamp of line 0; lines are 500 µs apart plus jitter, so
// timestamps increase like a busy service's log.
var base = time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC)

// Generator produces the lines of one seed. It is immutable and safe for
// concurrent use.
type Generator struct {
	seed uint64
}

// New returns the generator of the given seed.
func New(seed int64) *Generator {
	return &Generator{seed: uint64(seed)}
}

// rng is splitmix64: tiny, allocation-free, and good enough to spread values;
// each line gets its own stream seeded from (seed, i) so lines are independent.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (g *Generator) lineRNG(i uint64) rng {
	r := rng{s: g.seed*0x2545f4914f6cdd1d ^ i*0x9e3779b97f4a7c15}
	r.next()
	return r
}

// Info describes line i without rendering it, for tests and for a consumer
// that wants to check what it received.
type Info struct {
	Seq       uint64
	Shape     Shape
	Service   string
	Operation int
	Class     Class
}

// Describe returns what line i carries.
func (g *Generator) Describe(i uint64) Info {
	r := g.lineRNG(i)
	d := g.draw(&r)
	return Info{Seq: i, Shape: d.shape, Service: Services[d.service], Operation: d.op, Class: statuses[d.status].class}
}

// draw is the part of a line every shape shares, drawn first and in a fixed
// order so that Describe and Line agree.
type draw struct {
	shape   Shape
	service int
	op      int
	status  int
	sens    int // 0..99: < 25 the line carries something to mask
}

func (g *Generator) draw(r *rng) draw {
	v := r.next()
	d := draw{
		shape:   Shape(v % 3),
		service: int((v >> 8) % uint64(len(Services))),
		op:      int((v >> 16) % uint64(len(operations))),
		status:  int(statusByMille[(v>>24)%1000]),
		sens:    int((v >> 40) % 100),
	}
	return d
}

// Line returns line i without its trailing newline.
func (g *Generator) Line(i uint64) []byte {
	return g.AppendLine(make([]byte, 0, 320), i)
}

// AppendLine appends line i, without newline, to dst.
func (g *Generator) AppendLine(dst []byte, i uint64) []byte {
	r := g.lineRNG(i)
	d := g.draw(&r)
	ts := base.Add(time.Duration(i)*500*time.Microsecond + time.Duration(r.intn(400))*time.Microsecond)
	switch d.shape {
	case ShapeAster:
		return appendAster(dst, &r, d, ts, i)
	case ShapeAstrocyte:
		return appendAstrocyte(dst, &r, d, ts, i)
	default:
		return appendAIStack(dst, &r, d, ts, i)
	}
}

// WriteN writes lines 0..n-1, each followed by '\n'.
func (g *Generator) WriteN(w io.Writer, n uint64) (int64, error) {
	return g.WriteRange(w, 0, n)
}

// WriteRange writes n lines starting at line from, each followed by '\n',
// and returns the number of bytes written.
func (g *Generator) WriteRange(w io.Writer, from, n uint64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var written int64
	buf := make([]byte, 0, 512)
	for i := from; i < from+n; i++ {
		buf = g.AppendLine(buf[:0], i)
		buf = append(buf, '\n')
		k, err := bw.Write(buf)
		written += int64(k)
		if err != nil {
			return written, err
		}
	}
	return written, bw.Flush()
}

func appendHex(dst []byte, r *rng, n int) []byte {
	const digits = "0123456789abcdef"
	for n > 0 {
		v := r.next()
		for k := 0; k < 16 && n > 0; k++ {
			dst = append(dst, digits[v&15])
			v >>= 4
			n--
		}
	}
	return dst
}

func appendAlnum(dst []byte, r *rng, n int) []byte {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for k := 0; k < n; k++ {
		dst = append(dst, chars[r.intn(len(chars))])
	}
	return dst
}

func appendEmail(dst []byte, r *rng) []byte {
	dst = append(dst, users[r.intn(len(users))]...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(r.intn(1000)), 10)
	dst = append(dst, '@')
	return append(dst, domains[r.intn(len(domains))]...)
}

// appendJWT appends a well-formed (unsigned) JWT-shaped token.
func appendJWT(dst []byte, r *rng) []byte {
	dst = append(dst, "eyJhbGciOiJIUzI1NiJ9."...)
	dst = append(dst, "eyJzdWIiOi"...)
	dst = appendAlnum(dst, r, 14)
	dst = append(dst, '.')
	return appendAlnum(dst, r, 22)
}

// appendDuration appends a duration in milliseconds with one decimal, skewed
// towards fast requests: most under 50 ms, a tail into seconds.
func appendDuration(dst []byte, r *rng, d draw) []byte {
	var tenths int
	switch p := r.intn(100); {
	case statuses[d.status].class == ClassBusy:
		tenths = 1 + r.intn(30)
	case p < 70:
		tenths = 5 + r.intn(500)
	case p < 95:
		tenths = 500 + r.intn(5000)
	default:
		tenths = 5000 + r.intn(80000)
	}
	dst = strconv.AppendInt(dst, int64(tenths/10), 10)
	dst = append(dst, '.')
	return append(dst, byte('0'+tenths%10))
}

func appendPath(dst []byte, r *rng, op operation) []byte {
	route := op.route
	for k := 0; k < len(route); k++ {
		if route[k] == '{' && k+3 < len(route) && route[k:k+4] == "{id}" {
			dst = strconv.AppendInt(dst, int64(1+r.intn(99999)), 10)
			k += 3
			continue
		}
		dst = append(dst, route[k])
	}
	return dst
}

func appendTimeMillis(dst []byte, ts time.Time) []byte {
	return ts.AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
}

func level(c Class, upper bool) string {
	var l string
	switch c {
	case Class2xx, ClassDisconnect:
		l = "info"
	case Class4xx, ClassBusy:
		l = "warning"
	default:
		l = "error"
	}
	if upper {
		switch l {
		case "info":
			return "INFO"
		case "warning":
			return "WARNING"
		}
		return "ERROR"
	}
	return l
}

func appendAster(dst []byte, r *rng, d draw, ts time.Time, seq uint64) []byte {
	st := statuses[d.status]
	op := operations[d.op]
	dst = append(dst, `{"ts":"`...)
	dst = appendTimeMillis(dst, ts)
	dst = append(dst, `","level":"`...)
	lvl := level(st.class, false)
	if st.class == Class2xx && r.intn(4) == 0 {
		lvl = "debug"
	}
	dst = append(dst, lvl...)
	dst = append(dst, `","logger":"`...)
	lg := loggers[0]
	if st.class == ClassBusy {
		lg = loggers[1]
	} else if r.intn(10) == 0 {
		lg = loggers[2]
	}
	dst = append(dst, lg...)
	dst = append(dst, `","msg":"`...)
	switch st.class {
	case Class2xx:
		dst = append(dst, "rpc completed"...)
	case ClassBusy:
		dst = append(dst, "rate limited"...)
	case ClassDisconnect:
		dst = append(dst, "rpc cancelled"...)
	default:
		dst = append(dst, "rpc failed"...)
	}
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"service":"`...)
	dst = append(dst, Services[d.service]...)
	dst = append(dst, `","method":"`...)
	dst = append(dst, op.rpc...)
	dst = append(dst, `","request_id":"`...)
	dst = appendHex(dst, r, 8)
	dst = append(dst, `","duration_ms":`...)
	dst = appendDuration(dst, r, d)
	dst = append(dst, `,"status_code":"`...)
	dst = append(dst, st.grpc...)
	dst = append(dst, '"')
	// Identifiers to truncate: a peer fingerprint on a third of the lines, as
	// Aster logs it.
	if d.sens >= 60 {
		dst = append(dst, `,"peer":"`...)
		dst = appendHex(dst, r, 40)
		dst = append(dst, '"')
	}
	if st.class == Class4xx || st.class == Class5xx {
		dst = append(dst, `,"error":"`...)
		if d.sens < 25 {
			dst = append(dst, "permission check failed for "...)
			dst = appendEmail(dst, r)
		} else {
			dst = append(dst, "contract not found"...)
		}
		dst = append(dst, '"')
	}
	switch {
	case d.sens < 8:
		dst = append(dst, `,"signing_key":"sk_live_`...)
		dst = appendAlnum(dst, r, 24)
		dst = append(dst, '"')
	case d.sens < 16:
		dst = append(dst, `,"contract_id":"`...)
		dst = appendHex(dst, r, 32)
		dst = append(dst, '"')
	case d.sens < 24:
		dst = append(dst, `,"node_id":"node-`...)
		dst = appendHex(dst, r, 16)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

func appendAstrocyte(dst []byte, r *rng, d draw, ts time.Time, seq uint64) []byte {
	st := statuses[d.status]
	op := operations[d.op]
	dst = append(dst, `{"timestamp":"`...)
	dst = ts.AppendFormat(dst, "2006-01-02T15:04:05.000000-07:00")
	dst = append(dst, `","level":"`...)
	dst = append(dst, level(st.class, true)...)
	dst = append(dst, `","logger":"astrocyte_gateway.access","seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	// msg is a JSON object written as a string: every quote inside is escaped.
	dst = append(dst, `,"msg":"{\"event\": \"http_request\", \"request_id\": \"`...)
	dst = appendHex(dst, r, 8)
	dst = append(dst, `\", \"service\": \"`...)
	dst = append(dst, Services[d.service]...)
	dst = append(dst, `\", \"method\": \"`...)
	dst = append(dst, op.method...)
	dst = append(dst, `\", \"path\": \"`...)
	dst = appendPath(dst, r, op)
	if d.sens < 10 {
		dst = append(dst, "?token="...)
		dst = appendJWT(dst, r)
	} else if d.sens < 20 {
		dst = append(dst, "?page="...)
		dst = strconv.AppendInt(dst, int64(1+r.intn(20)), 10)
	}
	dst = append(dst, `\", \"status_code\": `...)
	code := st.http
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `, \"duration_ms\": `...)
	dst = appendDuration(dst, r, d)
	if d.sens >= 20 && d.sens < 35 {
		dst = append(dst, `, \"client\": \"`...)
		dst = appendEmail(dst, r)
		dst = append(dst, `\"`...)
	}
	return append(dst, `}"}`...)
}

func appendAIStack(dst []byte, r *rng, d draw, ts time.Time, seq uint64) []byte {
	st := statuses[d.status]
	op := operations[d.op]
	dst = append(dst, `{"ts":"`...)
	dst = appendTimeMillis(dst, ts)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"request_id":"`...)
	dst = appendHex(dst, r, 16)
	dst = append(dst, `","category":"`...)
	dst = append(dst, Services[d.service]...)
	dst = append(dst, `","model":"`...)
	dst = append(dst, models[r.intn(len(models))]...)
	dst = append(dst, `","method":"`...)
	dst = append(dst, op.method...)
	dst = append(dst, `","path":"`...)
	dst = appendPath(dst, r, op)
	dst = append(dst, `","status":`...)
	if st.literal != "" && r.intn(3) != 0 {
		// aistack mostly writes these outcomes as words, sometimes as codes.
		dst = append(dst, '"')
		dst = append(dst, st.literal...)
		dst = append(dst, '"')
	} else {
		dst = strconv.AppendInt(dst, int64(st.http), 10)
	}
	dst = append(dst, `,"latency_ms":`...)
	dst = appendDuration(dst, r, d)
	dst = append(dst, `,"extra":{"provider":"`...)
	dst = append(dst, providers[r.intn(len(providers))]...)
	dst = append(dst, `","input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(r.intn(4096)), 10)
	dst = append(dst, '}')
	// Header maps appear on about half the lines, as in the seed, and carry
	// the credentials a masking stage must scrub on a quarter of them.
	var header string
	switch {
	case d.sens < 12:
		header = `"Authorization":"Bearer sk-`
	case d.sens < 20:
		header = `"X-Api-Key":"ak_`
	case d.sens < 26:
		header = `"Cookie":"session=`
	case d.sens < 50:
	default:
		return append(dst, '}')
	}
	dst = append(dst, `,"request_headers":{`...)
	if header != "" {
		dst = append(dst, header...)
		dst = appendAlnum(dst, r, 20)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"User-Agent":"`...)
	dst = append(dst, agents[r.intn(len(agents))]...)
	return append(dst, `"}}`...)
}
