package cost

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed usage.json
var usageJSON []byte

// Usage is what a template cannot say about a stage: its traffic and log volume. The
// defaults per stage live in tools/cost/usage.json, the one place to change them.
type Usage struct {
	RequestsPerSecond       float64 `json:"requestsPerSecond"`
	BytesPerRequest         float64 `json:"bytesPerRequest"`
	NewConnectionsPerSecond float64 `json:"newConnectionsPerSecond"`
	ActiveConnections       float64 `json:"activeConnections"`
	// AppLogGBPerTask is what one task writes to its log group in a month.
	AppLogGBPerTask float64 `json:"appLogGBPerTask"`
	// FlowLogGB is the VPC flow log's volume in a month.
	FlowLogGB float64 `json:"flowLogGB"`
	// NatGB is the data the NAT gateways process in a month (both directions).
	NatGB                      float64 `json:"natGB"`
	AccessLogBytesPerRequest   float64 `json:"accessLogBytesPerRequest"`
	ContainerInsightsMetrics   float64 `json:"containerInsightsMetrics"`
	ContainerInsightsGBPerTask float64 `json:"containerInsightsGBPerTask"`
	// The database (rds.go): its data size, the share of it that changes a day (what
	// backups keep per day of retention), Aurora's storage I/O requests, and Aurora Serverless
	// v2's average capacity per instance (0: the cluster's minimum).
	DatabaseGB           float64 `json:"databaseGB"`
	DatabaseChangePerDay float64 `json:"databaseChangePerDay"`
	DatabaseIOPerSecond  float64 `json:"databaseIOPerSecond"`
	DatabaseACU          float64 `json:"databaseACU"`
	// WAFLogBytesPerRequest is one WAF log record in CloudWatch Logs.
	WAFLogBytesPerRequest float64 `json:"wafLogBytesPerRequest"`
	// InterfaceEndpointGB is the data the VPC interface endpoints process in a month.
	InterfaceEndpointGB float64 `json:"interfaceEndpointGB,omitempty"`
	// Month is the month after the first deploy whose stored volume (logs, access logs) the
	// estimate prices: storage fills over the retention period. From the file's month when a
	// stage sets none.
	Month int `json:"month,omitempty"`
}

// Assumptions are the usage defaults of every stage.
type Assumptions struct {
	Notes []string `json:"notes"`
	// Month is every stage's Month unless it sets its own (default 12).
	Month  int              `json:"month"`
	Stages map[string]Usage `json:"stages"`
}

// DefaultAssumptions is tools/cost/usage.json.
func DefaultAssumptions() (Assumptions, error) { return ParseAssumptions(usageJSON) }

// ParseAssumptions reads a usage file; unknown fields are errors, so that a typo does not
// silently leave a default in place.
func ParseAssumptions(b []byte) (Assumptions, error) {
	var a Assumptions
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return Assumptions{}, fmt.Errorf("cost: usage assumptions: %w (the fields are those of tools/cost/usage.json)", err)
	}
	return a, nil
}

// For returns the usage of stage.
func (a Assumptions) For(stage string) (Usage, error) {
	u, ok := a.Stages[stage]
	if !ok {
		return Usage{}, fmt.Errorf("cost: no usage assumptions for stage %s: add it to the usage file (tools/cost/usage.json)", stage)
	}
	u.Month = cmp.Or(u.Month, a.Month, defaultMonth)
	if u.Month < 1 {
		return Usage{}, fmt.Errorf("cost: usage month %d for stage %s: months count from 1 (the month of the first deploy)", u.Month, stage)
	}
	return u, nil
}
