package convention

// UsageSource is one way of writing down a model call's usage. A record is
// read by the first source whose model attribute is present.
type UsageSource struct {
	Name    string
	Writers string
	// Model names the model; a price is looked up by each present in turn.
	Model    []string
	Provider []string
	// InputTokens and OutputTokens count tokens; CostUSD is the call's cost
	// as the service computed it, which wins over the price table.
	InputTokens, OutputTokens, CostUSD []string
	// SkipField and SkipValues exclude records that repeat the usage of
	// others: GenAI agent spans carry the total of the calls inside them,
	// which have spans of their own.
	SkipField  string
	SkipValues []string
}

// Usage is every usage source, in the order they are tried.
var Usage = []UsageSource{
	{
		Name: "gen_ai", Writers: "OpenTelemetry GenAI semantic conventions (client spans of model calls)",
		Model:       []string{"gen_ai.response.model", "gen_ai.request.model"},
		Provider:    []string{"gen_ai.provider.name", "gen_ai.system"},
		InputTokens: []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"}, OutputTokens: []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"},
		SkipField: "gen_ai.operation.name", SkipValues: []string{"invoke_agent", "create_agent"},
	},
	{
		Name: "access_log", Writers: "LLM gateways' access-log lines (aistack, Astromesh)",
		Model:       []string{"model", "extra.model"},
		Provider:    []string{"extra.provider", "provider"},
		InputTokens: []string{"extra.input_tokens", "input_tokens"}, OutputTokens: []string{"extra.output_tokens", "output_tokens"},
		CostUSD: []string{"extra.cost_usd", "cost_usd"},
	},
}
