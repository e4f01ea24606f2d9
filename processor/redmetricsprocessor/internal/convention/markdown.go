package convention

import (
	"fmt"
	"strings"
)

// Markdown renders Table as the README's two tables: where the status comes
// from (in the order conventions are tried), and where the operation and a
// log record's duration come from.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| # | `conventions` name | written by | status attribute (numbers are) | only with one of | client-disconnect also when |\n")
	b.WriteString("| - | ------------------ | ---------- | ------------------------------ | ---------------- | --------------------------- |\n")
	for i, c := range Table {
		var status []string
		for _, s := range c.Status {
			status = append(status, fmt.Sprintf("`%s` (%s)", s.Field, s.Numbers))
		}
		flags := ""
		if c.DisconnectFlags != "" {
			flags = fmt.Sprintf("`%s` has `DC`", c.DisconnectFlags)
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s |\n", i+1, c.Name, c.Writers, strings.Join(status, ", "), codeList(c.Requires), flags)
	}
	b.WriteString("\n")
	b.WriteString("| `conventions` name | protocol | service | method | route | path (normalised) | request line | duration of a log record |\n")
	b.WriteString("| ------------------ | -------- | ------- | ------ | ----- | ----------------- | ------------ | ------------------------ |\n")
	for _, c := range Table {
		var durations []string
		for _, d := range c.Durations {
			durations = append(durations, fmt.Sprintf("`%s` (%s)", d.Field, d.Unit))
		}
		service := codeList(c.Service)
		if c.Protocol == RPC {
			service += ", else the method's qualifier"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", c.Name, c.Protocol, strings.TrimPrefix(service, ", "),
			codeList(c.Method), codeList(c.Route), codeList(c.Path), codeList(c.RequestLine), strings.Join(durations, ", "))
	}
	fmt.Fprintf(&b, "\nAn HTTP request with no route, path or request line is named by %s.\n", codeList(OperationFallback))
	return b.String()
}

// UsageMarkdown renders Usage as the README's table of where usage is read.
func UsageMarkdown() string {
	var b strings.Builder
	b.WriteString("| source | written by | model | provider | input tokens | output tokens | cost (USD) | skipped when |\n")
	b.WriteString("| ------ | ---------- | ----- | -------- | ------------ | ------------- | ---------- | ------------ |\n")
	for _, u := range Usage {
		skip := ""
		if u.SkipField != "" {
			skip = fmt.Sprintf("`%s` is %s", u.SkipField, codeList(u.SkipValues))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", u.Name, u.Writers, codeList(u.Model), codeList(u.Provider),
			codeList(u.InputTokens), codeList(u.OutputTokens), codeList(u.CostUSD), skip)
	}
	return b.String()
}

func codeList(fields []string) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = "`" + f + "`"
	}
	return strings.Join(out, ", ")
}

func (n Numbers) String() string {
	if n == GRPCNumbers {
		return "gRPC codes"
	}
	return "HTTP statuses"
}

func (p Protocol) String() string {
	switch p {
	case HTTP:
		return "HTTP"
	case RPC:
		return "RPC"
	default:
		return "by the status value"
	}
}
