// Package telemetry gives the service its own metrics and traces without an agent: metrics
// aggregated per interval and written to stdout in CloudWatch Embedded Metric Format (the
// awslogs driver ships them, CloudWatch Logs extracts them), and OpenTelemetry spans exported
// over OTLP/HTTP.
package telemetry

import (
	"encoding/json"
	"fmt"
	"time"
)

// Unit is a CloudWatch unit (PutMetricData's StandardUnit).
type Unit string

const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
	None         Unit = "None"
	Percent      Unit = "Percent"
)

// metricDefinition is EMF's MetricDefinition.
type metricDefinition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

// metricDirective is EMF's MetricDirective.
type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

// distribution is a metric's values and how often each occurred in the interval, with the
// exact statistics beside them: the form the OpenTelemetry collector's awsemf exporter writes
// for histograms, which CloudWatch stores like PutMetricData's Values and Counts.
type distribution struct {
	Values []float64 `json:"Values"`
	Counts []float64 `json:"Counts"`
	Max    float64   `json:"Max"`
	Min    float64   `json:"Min"`
	Count  float64   `json:"Count"`
	Sum    float64   `json:"Sum"`
}

// document is one EMF log line: dimension values and metric values as root members, and the
// directive naming them.
type document struct {
	directive metricDirective
	members   map[string]any
}

func newDocument(namespace string, dimensions [][]string, values map[string]string) *document {
	d := &document{directive: metricDirective{Namespace: namespace, Dimensions: dimensions}, members: map[string]any{}}
	for k, v := range values {
		d.members[k] = v
	}
	return d
}

func (d *document) add(name string, unit Unit, value any) {
	d.directive.Metrics = append(d.directive.Metrics, metricDefinition{Name: name, Unit: unit})
	d.members[name] = value
}

func (d *document) encode(at time.Time) ([]byte, error) {
	root := make(map[string]any, len(d.members)+1)
	for k, v := range d.members {
		root[k] = v
	}
	root["_aws"] = map[string]any{
		"Timestamp":         at.UnixMilli(),
		"CloudWatchMetrics": []metricDirective{d.directive},
	}
	b, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode EMF: %w", err)
	}
	return append(b, '\n'), nil
}
