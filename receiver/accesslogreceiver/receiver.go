package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/parser"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"
)

// Attribute keys set by the receiver.
const (
	attrFileName   = "log.file.name"
	attrFilePath   = "log.file.path"
	attrFileOffset = "log.file.record_offset"
	attrTruncated  = "accesslog.truncated"
)

const initialRetryInterval = 100 * time.Millisecond

type accessLogReceiver struct {
	cfg      *Config
	set      receiver.Settings
	next     consumer.Logs
	obs      *receiverhelper.ObsReport
	tb       *metadata.TelemetryBuilder
	tailer   *tail.Tailer
	parser   *parser.Parser
	resource pcommon.Map
	stats    *stats

	// per-batch scratch, used only by the polling goroutine
	groups []scopeGroup

	host       component.Host
	client     storage.Client
	cancel     context.CancelFunc
	done       chan struct{}
	unregister func()
	health     health // files that cannot be read, batches the pipeline keeps refusing
	retryFirst time.Duration
	retryWarns retryWarnings
	saveWarned time.Time // last warning about failed checkpoint saves

	shutdownOnce sync.Once
	shutdownErr  error
}

func newAccessLogReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*accessLogReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "file", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	resource := pcommon.NewMap()
	if err := resource.FromRaw(cfg.Resource); err != nil {
		return nil, fmt.Errorf("'resource': %w", err)
	}
	r := &accessLogReceiver{
		cfg: cfg, set: set, next: next, obs: obs, resource: resource,
		parser: parser.New(parser.Options{
			Format: cfg.Format.parserFormat(), MaxDepth: cfg.MaxNestingDepth, ExtraAttrs: fileAttrCount(cfg) + stampHeadroom,
		}),
		stats:      newStats(),
		retryFirst: initialRetryInterval,
		retryWarns: retryWarnings{every: retryWarnEvery},
	}
	r.tailer = tail.New(tailConfig(cfg), r)
	return r, nil
}

func tailConfig(cfg *Config) tail.Config {
	return tail.Config{
		Include:          cfg.Include,
		Exclude:          cfg.Exclude,
		StartAtBeginning: cfg.StartAt == StartAtBeginning,
		FingerprintSize:  cfg.FingerprintSize,
		MaxLineSize:      cfg.MaxLineSize,
		MaxBatchLines:    cfg.MaxBatchSize,
		FlushPeriod:      cfg.ForceFlushPeriod,
		MaxOpenFiles:     cfg.MaxConcurrentFiles,
	}
}

// Start restores checkpoints and starts polling.
func (r *accessLogReceiver) Start(ctx context.Context, host component.Host) error {
	r.host = host
	r.health.host, r.health.logger = host, r.set.Logger
	tb, err := metadata.NewTelemetryBuilder(r.set.TelemetrySettings)
	if err != nil {
		return err
	}
	r.tb = tb
	if err := r.registerGauges(); err != nil {
		return err
	}
	if r.cfg.Storage != nil {
		client, err := r.storageClient(ctx, host)
		if err != nil {
			return err
		}
		r.client = client
		if err := r.restore(ctx); err != nil {
			_ = client.Close(ctx)
			r.client = nil
			return err
		}
	} else {
		r.set.Logger.Warn("no 'storage' configured: read offsets are kept in memory only, so a restart starts again per 'start_at' (lines may be lost or repeated)")
	}
	r.unregister = snapshot.RegisterWithHost(host, snapshot.Name(component.KindReceiver, r.set.ID), &snapshotSource{r: r})
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan struct{})
	go r.run(runCtx)
	return nil
}

func (r *accessLogReceiver) storageClient(ctx context.Context, host component.Host) (storage.Client, error) {
	ext, ok := host.GetExtensions()[*r.cfg.Storage]
	if !ok {
		return nil, fmt.Errorf("'storage': extension %q not found", r.cfg.Storage.String())
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("'storage': extension %q is not a storage extension", r.cfg.Storage.String())
	}
	client, err := se.GetClient(ctx, component.KindReceiver, r.set.ID, "")
	if err != nil {
		return nil, fmt.Errorf("'storage': get client from %q: %w", r.cfg.Storage.String(), err)
	}
	return client, nil
}

func (r *accessLogReceiver) registerGauges() error {
	err := r.tb.RegisterReceiverAccesslogFilesOpenCallback(func(_ context.Context, o metric.Int64Observer) error {
		n := int64(0)
		for _, f := range r.tailer.Files() {
			if f.Open {
				n++
			}
		}
		o.Observe(n)
		return nil
	})
	if err != nil {
		return err
	}
	return r.tb.RegisterReceiverAccesslogReadLagCallback(func(_ context.Context, o metric.Int64Observer) error {
		for _, f := range r.tailer.Files() {
			if f.Size >= 0 {
				o.Observe(f.Lag(), metric.WithAttributes(attribute.String(attrFilePath, f.Path)))
			}
		}
		return nil
	})
}

func (r *accessLogReceiver) run(ctx context.Context) {
	defer close(r.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		fileErrs, more, err := r.tailer.Poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.set.Logger.Error("poll failed", zap.Error(err))
		}
		r.reportFiles(fileErrs)
		if more {
			timer.Reset(0)
		} else {
			timer.Reset(r.cfg.PollInterval)
		}
	}
}

// reportFiles reports unreadable files as a recoverable error, and recovery as OK.
func (r *accessLogReceiver) reportFiles(errs []tail.FileError) {
	if len(errs) == 0 {
		r.health.setFiles(nil)
		return
	}
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	r.health.setFiles(errors.Join(joined...))
}

// Stage turns a batch into log records on the tailer's reading goroutine and
// returns their delivery, which the tailer runs on its delivery goroutine
// while the next batch is read and parsed (tail.Handler). The delivery
// retries until the next consumer accepts the records or the receiver shuts
// down. The records own their strings, so b may be reused at once.
func (r *accessLogReceiver) Stage(b *tail.Batch) func(context.Context) error {
	ld, counts := r.buildLogs(b)
	n := ld.LogRecordCount()
	path := b.Path
	lines, read := int64(len(b.Lines)), max(0, b.EndOffset-b.StartOffset)
	return func(ctx context.Context) error {
		if n > 0 {
			if err := r.deliver(ctx, ld, n, path); err != nil {
				return err
			}
		}
		r.record(ctx, lines, read, counts)
		return nil
	}
}

func (r *accessLogReceiver) deliver(ctx context.Context, ld plog.Logs, n int, path string) error {
	backoff := r.retryFirst
	for {
		octx := r.obs.StartLogsOp(ctx)
		err := r.next.ConsumeLogs(octx, ld)
		r.obs.EndLogsOp(octx, "json", n, err)
		if err == nil {
			r.health.deliverySucceeded()
			r.stats.recordsEmitted.Add(uint64(n))
			r.tb.ReceiverAccesslogRecordsEmitted.Add(ctx, int64(n))
			return nil
		}
		if consumererror.IsPermanent(err) {
			// Retrying data the pipeline will never take would stall this file for good.
			r.set.Logger.Error("next consumer rejected records permanently; dropping them",
				zap.String("file", path), zap.Int("records", n), zap.Error(err))
			r.stats.recordsDropped.Add(uint64(n))
			r.tb.ReceiverAccesslogRecordsDropped.Add(ctx, int64(n), metric.WithAttributes(attribute.String("reason", "permanent_error")))
			return nil
		}
		r.stats.retries.Add(1)
		r.tb.ReceiverAccesslogDeliveryRetries.Add(ctx, 1)
		r.health.deliveryFailed(err, time.Now())
		// A refusal that says when to come back (the ratelimit processor's
		// RESOURCE_EXHAUSTED with RetryInfo) is waited out as asked; other
		// errors get the exponential backoff.
		wait, told := retryDelay(err)
		if told {
			wait = min(wait, r.cfg.RetryMaxInterval)
		} else {
			wait = backoff
			backoff = min(2*backoff, r.cfg.RetryMaxInterval)
		}
		// Refusals are ordinary back-pressure: one warning per file and
		// retryWarnEvery, counting the retries in between.
		if warn, retries := r.retryWarns.note(path, time.Now()); warn {
			r.set.Logger.Warn("next consumer refused records; keeping the offset and retrying",
				zap.String("file", path), zap.Duration("retry_in", wait), zap.Bool("retry_info", told),
				zap.Int("retries_since_last_warning", retries), zap.Error(err))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// retryDelay returns the delay of a gRPC RetryInfo carried by err (wrapped
// or joined, as pipelines return it).
func retryDelay(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, isRetryInfo := d.(*errdetails.RetryInfo); isRetryInfo && ri.GetRetryDelay() != nil {
			if delay := ri.GetRetryDelay().AsDuration(); delay > 0 {
				return delay, true
			}
		}
	}
	return 0, false
}

// retryWarnEvery is how often a file's delivery retries are logged.
const retryWarnEvery = 10 * time.Second

// retryWarnings rate-limits the retry warning per file.
type retryWarnings struct {
	mu    sync.Mutex
	every time.Duration
	files map[string]*retryWarning
}

type retryWarning struct {
	last    time.Time // of the last warning
	retries int       // since then, this one included
}

// note counts a retry of path at now and reports whether to warn, with the
// retries since the last warning (this one included).
func (w *retryWarnings) note(path string, now time.Time) (warn bool, retries int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.files == nil {
		w.files = map[string]*retryWarning{}
	}
	f := w.files[path]
	if f == nil {
		// Forget files quiet for a while, so rotated names do not pile up.
		for p, o := range w.files {
			if now.Sub(o.last) >= 2*w.every {
				delete(w.files, p)
			}
		}
		f = &retryWarning{}
		w.files[path] = f
	}
	f.retries++
	if !f.last.IsZero() && now.Sub(f.last) < w.every {
		return false, 0
	}
	retries, f.last, f.retries = f.retries, now, 0
	return true, retries
}

// batchCounts are the per-batch tallies recorded once the batch is delivered.
type batchCounts struct {
	anomalies     [numAnomalies]int64
	invalidJSON   int64
	notObject     int64
	truncated     int64
	droppedEmpty  int64
	droppedErrors int64
}

// scopeGroup is the ScopeLogs of one `logger` in the batch being built.
type scopeGroup struct {
	name  string
	named bool // false until a kept record names it (only the first group starts unnamed)
	recs  plog.LogRecordSlice
	// dead marks, per record of recs, a dropped line or one moved to another
	// group; they are removed once the batch is built.
	dead    []bool
	anyDead bool
}

func (r *accessLogReceiver) buildLogs(b *tail.Batch) (plog.Logs, batchCounts) {
	var c batchCounts
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	r.resource.CopyTo(rl.Resource().Attributes())
	sl := rl.ScopeLogs().AppendEmpty()
	recs := sl.LogRecords()
	recs.EnsureCapacity(len(b.Lines))
	r.resetGroups(recs)

	// One string for the whole batch: the records' strings share it.
	var data string
	if r.cfg.Encoding == EncodingUTF8 {
		data = string(b.Data)
	}
	fileName := filepath.Base(b.Path)
	wall := time.Now()
	now := pcommon.NewTimestampFromTime(wall)
	// The date of text lines that give only a time of day.
	r.parser.SetSource(fileName, wall)
	// A line is parsed straight into the group of the previous kept line's
	// scope: lines of one logger come in runs, so moving a record (which
	// costs a copy and an allocation) is needed only where a run changes.
	cur := 0

	for i := 0; i < len(b.Lines); i++ {
		l := b.Lines[i]
		lr := r.groups[cur].recs.AppendEmpty()
		res, used, truncated := r.parseRecord(b, data, i, lr)
		i += used - 1
		c.addFlags(res.Flags)
		drop := false
		if res.Err != nil {
			switch {
			case res.Flags&parser.FlagEmpty != 0:
				drop = true
				c.droppedEmpty++
			case r.cfg.OnParseError == OnParseErrorDrop:
				drop = true
				c.droppedErrors++
			default:
				parser.SetRaw(lr, res.Line, res.Err)
			}
		}
		if truncated > 0 {
			c.truncated += truncated
			c.anomalies[anomalyTruncated] += truncated
			if !drop {
				lr.Attributes().PutBool(attrTruncated, true)
			}
		}
		if !drop {
			lr.SetObservedTimestamp(now)
			attrs := lr.Attributes()
			if r.cfg.IncludeFileName {
				attrs.PutStr(attrFileName, fileName)
			}
			if r.cfg.IncludeFilePath {
				attrs.PutStr(attrFilePath, b.Path)
			}
			if r.cfg.IncludeFileOffset {
				attrs.PutInt(attrFileOffset, l.Offset)
			}
		}
		g := &r.groups[cur]
		switch {
		case drop:
		case !g.named:
			g.name, g.named = res.Scope, true
		case res.Scope != g.name:
			from := cur
			cur = r.groupFor(rl, res.Scope)
			dst := &r.groups[cur]
			lr.MoveTo(dst.recs.AppendEmpty())
			dst.dead = append(dst.dead, false)
			g = &r.groups[from] // groupFor may have moved the groups
			drop = true         // the emptied record left behind
		}
		g.dead = append(g.dead, drop)
		g.anyDead = g.anyDead || drop
	}
	r.finishGroups(rl, sl)
	return ld, c
}

// parseRecord parses line i of b into lr. A text header takes the next line
// of the batch as its message; a header that ends the batch is a record of
// its own (see README, "Text lines"). It returns how many lines the record
// used and how many of them were truncated.
func (r *accessLogReceiver) parseRecord(b *tail.Batch, data string, i int, lr plog.LogRecord) (parser.Result, int, int64) {
	used, truncated := 1, int64(0)
	if b.Lines[i].Truncated {
		truncated++
	}
	res := r.parser.Parse(r.lineOf(b, data, b.Lines[i]), lr)
	if res.Flags&parser.FlagHeader == 0 {
		return res, used, truncated
	}
	next := ""
	if i+1 < len(b.Lines) {
		next = r.lineOf(b, data, b.Lines[i+1])
	}
	if r.parser.Continue(next, lr, &res) {
		used++
		if b.Lines[i+1].Truncated {
			truncated++
		}
	}
	return res, used, truncated
}

// lineOf returns line l of b as UTF-8: a substring of data, or converted
// from Latin-1.
func (r *accessLogReceiver) lineOf(b *tail.Batch, data string, l tail.Line) string {
	if r.cfg.Encoding == EncodingLatin1 {
		return latin1ToUTF8(b.Data[l.Start:l.End])
	}
	return data[l.Start:l.End]
}

// resetGroups starts a batch with one unnamed group. It clears every slot up
// to the capacity (so no earlier batch stays reachable) but keeps the dead
// slices for reuse.
func (r *accessLogReceiver) resetGroups(recs plog.LogRecordSlice) {
	all := r.groups[:cap(r.groups)]
	for i := range all {
		all[i] = scopeGroup{dead: all[i].dead[:0]}
	}
	if len(all) == 0 {
		all = append(all, scopeGroup{})
	}
	r.groups = all[:1]
	r.groups[0].recs = recs
}

// groupFor returns the index of the group of scope, adding a ScopeLogs for
// it if the batch has none yet, so scopes appear in the order of their first
// record.
func (r *accessLogReceiver) groupFor(rl plog.ResourceLogs, scope string) int {
	for i := range r.groups {
		if r.groups[i].named && r.groups[i].name == scope {
			return i
		}
	}
	nsl := rl.ScopeLogs().AppendEmpty()
	nsl.Scope().SetName(scope)
	var dead []bool
	if n := len(r.groups); n < cap(r.groups) {
		dead = r.groups[:n+1][n].dead[:0]
	}
	r.groups = append(r.groups, scopeGroup{name: scope, named: true, recs: nsl.LogRecords(), dead: dead})
	return len(r.groups) - 1
}

// finishGroups names the first ScopeLogs and removes dropped and moved
// records; a batch of only dropped lines keeps no ScopeLogs.
func (r *accessLogReceiver) finishGroups(rl plog.ResourceLogs, sl plog.ScopeLogs) {
	if !r.groups[0].named {
		rl.ScopeLogs().RemoveIf(func(plog.ScopeLogs) bool { return true })
		return
	}
	sl.Scope().SetName(r.groups[0].name)
	for i := range r.groups {
		g := &r.groups[i]
		if !g.anyDead {
			continue
		}
		j := 0
		g.recs.RemoveIf(func(plog.LogRecord) bool {
			d := g.dead[j]
			j++
			return d
		})
	}
}

// record counts a batch once it was accepted (or dropped for good); read is
// the bytes it accounts for.
func (r *accessLogReceiver) record(ctx context.Context, lines, read int64, c batchCounts) {
	s := r.stats
	s.linesRead.Add(uint64(lines))
	s.bytesRead.Add(uint64(read))
	r.tb.ReceiverAccesslogLinesRead.Add(ctx, lines)
	r.tb.ReceiverAccesslogBytesRead.Add(ctx, read)
	if c.truncated > 0 {
		s.truncated.Add(uint64(c.truncated))
		r.tb.ReceiverAccesslogTruncatedLines.Add(ctx, c.truncated)
	}
	if c.invalidJSON > 0 {
		s.parseErrors.Add(uint64(c.invalidJSON))
		r.tb.ReceiverAccesslogParseErrors.Add(ctx, c.invalidJSON, metric.WithAttributes(attribute.String("reason", "invalid_json")))
	}
	if c.notObject > 0 {
		s.parseErrors.Add(uint64(c.notObject))
		r.tb.ReceiverAccesslogParseErrors.Add(ctx, c.notObject, metric.WithAttributes(attribute.String("reason", "not_object")))
	}
	for reason, n := range map[string]int64{"empty_line": c.droppedEmpty, "parse_error": c.droppedErrors} {
		if n > 0 {
			s.recordsDropped.Add(uint64(n))
			r.tb.ReceiverAccesslogRecordsDropped.Add(ctx, n, metric.WithAttributes(attribute.String("reason", reason)))
		}
	}
	for a, n := range c.anomalies {
		if n > 0 {
			s.anomalies[a].Add(uint64(n))
			r.tb.ReceiverAccesslogLineAnomalies.Add(ctx, n, metric.WithAttributes(attribute.String("anomaly", anomalyNames[a])))
		}
	}
}

// Shutdown stops polling and releases files and storage. It is safe without
// Start and when called twice.
func (r *accessLogReceiver) Shutdown(ctx context.Context) error {
	r.shutdownOnce.Do(func() { r.shutdownErr = r.shutdown(ctx) })
	return r.shutdownErr
}

func (r *accessLogReceiver) shutdown(ctx context.Context) error {
	if r.unregister != nil {
		r.unregister()
	}
	if r.cancel != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			// The poller is stuck in a consumer that ignores cancellation; it
			// still owns the files and the storage client, so leave them.
			return fmt.Errorf("accesslog receiver did not stop in time: %w", ctx.Err())
		}
	}
	errs := r.tailer.Close()
	if r.client != nil {
		errs = errors.Join(errs, r.client.Close(ctx))
	}
	if r.tb != nil {
		r.tb.Shutdown()
	}
	return errs
}

func latin1ToUTF8(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// stampHeadroom is room left in every record's attribute slice for the
// attribute a processor stamps on each request record downstream
// (redmetrics' status_class in the default pipeline). Without it the slice is
// full, and that one attribute regrows and copies all of them: in scenario D
// of bench/ that was 42% of all bytes allocated. It costs one empty slot
// (40 bytes, about 50 after size-class rounding) per record when nothing is
// stamped.
const stampHeadroom = 1

// fileAttrCount is how many file attributes buildLogs adds to every record.
func fileAttrCount(cfg *Config) int {
	n := 0
	for _, on := range []bool{cfg.IncludeFileName, cfg.IncludeFilePath, cfg.IncludeFileOffset} {
		if on {
			n++
		}
	}
	return n
}

var _ tail.Handler = (*accessLogReceiver)(nil)
