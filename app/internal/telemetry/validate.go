package telemetry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// The limits of the CloudWatch Embedded Metric Format specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
// and of the CloudWatch API it feeds (API_Dimension, API_MetricDatum); the name rules are the
// ones AWS's own EMF client libraries (awslabs/aws-embedded-metrics-*) enforce.
const (
	// "An EMF document is subject to the same limits as a CloudWatch Logs event": 1 MB,
	// counted with the 26 bytes of per-event overhead (PutLogEvents).
	maxEventBytes = 1<<20 - 26
	// MetricDirective: "Metrics ... MUST NOT contain more than 100 MetricDefinition objects".
	maxMetricsPerDirective = 100
	// DimensionSet: "A DimensionSet MUST NOT contain more than 30 dimension keys".
	maxDimensionsPerSet = 30
	// Target members: "Values array MUST NOT contain more than 100 values".
	maxValuesPerMetric = 100
	// Names: namespace 1-256 characters (the EMF libraries' MAX_NAMESPACE_LENGTH), metric
	// name 1-1024, dimension name 1-250 and dimension value 1-1024 (API_Dimension).
	maxNamespace, maxMetricName, maxDimensionName, maxDimensionValue = 256, 1024, 250, 1024
)

var (
	// The EMF libraries' VALID_NAMESPACE_REGEX.
	namespaceRE = regexp.MustCompile(`^[a-zA-Z0-9._#:/-]+$`)
	// CloudWatch's StandardUnit values (API_MetricDatum).
	standardUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
		"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
		"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
		"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
)

// Validate checks one log line against the EMF specification's structure and limits. A line
// CloudWatch Logs would not turn into metrics is an error naming the first problem found.
func Validate(line []byte) error {
	line = bytes.TrimSuffix(line, []byte("\n"))
	if len(line) > maxEventBytes {
		return fmt.Errorf("emf: %d bytes, over the %d-byte log event limit", len(line), maxEventBytes)
	}
	var root map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil || dec.More() {
		return errors.New("emf: the line is not one JSON object")
	}
	var meta struct {
		Timestamp         *json.Number
		CloudWatchMetrics []json.RawMessage
	}
	if err := json.Unmarshal(root["_aws"], &meta); err != nil || meta.Timestamp == nil || meta.CloudWatchMetrics == nil {
		return errors.New("emf: _aws must be an object with Timestamp and CloudWatchMetrics")
	}
	if ts, err := meta.Timestamp.Int64(); err != nil || ts <= 0 {
		return fmt.Errorf("emf: _aws.Timestamp %s is not milliseconds since the epoch", meta.Timestamp)
	}
	for i, raw := range meta.CloudWatchMetrics {
		if err := validateDirective(raw, root); err != nil {
			return fmt.Errorf("emf: CloudWatchMetrics[%d]: %w", i, err)
		}
	}
	return nil
}

func validateDirective(raw json.RawMessage, root map[string]json.RawMessage) error {
	var d struct {
		Namespace  *string
		Dimensions [][]string
		Metrics    []struct {
			Name              string
			Unit              *string
			StorageResolution *int
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Namespace == nil || d.Dimensions == nil || d.Metrics == nil {
		return errors.New("a MetricDirective needs Namespace (string), Dimensions (array of arrays of strings) and Metrics (array)")
	}
	if n := *d.Namespace; len(n) < 1 || len(n) > maxNamespace || !namespaceRE.MatchString(n) {
		return fmt.Errorf("namespace %q: 1 to %d of a-z A-Z 0-9 . _ # : / -", n, maxNamespace)
	}
	if len(d.Metrics) > maxMetricsPerDirective {
		return fmt.Errorf("%d metrics, over %d per directive", len(d.Metrics), maxMetricsPerDirective)
	}
	for _, set := range d.Dimensions {
		if len(set) > maxDimensionsPerSet {
			return fmt.Errorf("a dimension set of %d keys, over %d", len(set), maxDimensionsPerSet)
		}
		for _, key := range set {
			if err := validateDimension(key, root[key]); err != nil {
				return err
			}
		}
	}
	for _, m := range d.Metrics {
		if len(m.Name) < 1 || len(m.Name) > maxMetricName {
			return fmt.Errorf("metric name %q: 1 to %d characters", m.Name, maxMetricName)
		}
		if m.Unit != nil && !slices.Contains(standardUnits, *m.Unit) {
			return fmt.Errorf("metric %s: unit %q is not a CloudWatch unit", m.Name, *m.Unit)
		}
		if r := m.StorageResolution; r != nil && *r != 1 && *r != 60 {
			return fmt.Errorf("metric %s: StorageResolution %d is neither 1 nor 60", m.Name, *r)
		}
		if err := validateValue(m.Name, root[m.Name]); err != nil {
			return err
		}
	}
	return nil
}

func validateDimension(key string, raw json.RawMessage) error {
	if len(key) < 1 || len(key) > maxDimensionName || !ascii(key) || strings.HasPrefix(key, ":") {
		return fmt.Errorf("dimension name %q: 1 to %d ASCII characters, not starting with a colon", key, maxDimensionName)
	}
	var v string
	if raw == nil || json.Unmarshal(raw, &v) != nil {
		return fmt.Errorf("dimension %s: the root member must be a string", key)
	}
	if strings.TrimSpace(v) == "" || len(v) > maxDimensionValue || !ascii(v) {
		return fmt.Errorf("dimension %s = %q: 1 to %d ASCII characters, not only spaces", key, v, maxDimensionValue)
	}
	return nil
}

// validateValue accepts a number, an array of up to 100 numbers, or a Values/Counts
// distribution of up to 100 values.
func validateValue(name string, raw json.RawMessage) error {
	if raw == nil {
		return fmt.Errorf("metric %s: no root member of that name", name)
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		return finite(name, n)
	}
	var arr []float64
	if json.Unmarshal(raw, &arr) == nil {
		return values(name, arr)
	}
	var d struct {
		Values, Counts []float64
		Max, Min       *float64
		Count, Sum     *float64
	}
	if json.Unmarshal(raw, &d) != nil || d.Values == nil || d.Counts == nil || d.Max == nil || d.Min == nil || d.Count == nil || d.Sum == nil {
		return fmt.Errorf("metric %s: a number, an array of numbers, or {Values, Counts, Max, Min, Count, Sum}", name)
	}
	if len(d.Counts) != len(d.Values) {
		return fmt.Errorf("metric %s: %d Counts for %d Values", name, len(d.Counts), len(d.Values))
	}
	total := 0.0
	for _, c := range d.Counts {
		if c <= 0 {
			return fmt.Errorf("metric %s: a count of %g (counts are positive)", name, c)
		}
		total += c
	}
	if total != *d.Count || *d.Min > *d.Max {
		return fmt.Errorf("metric %s: Count %g for counts summing to %g, Min %g, Max %g", name, *d.Count, total, *d.Min, *d.Max)
	}
	return values(name, d.Values)
}

func values(name string, vs []float64) error {
	if len(vs) > maxValuesPerMetric {
		return fmt.Errorf("metric %s: %d values, over %d", name, len(vs), maxValuesPerMetric)
	}
	for _, v := range vs {
		if err := finite(name, v); err != nil {
			return err
		}
	}
	return nil
}

// finite: CloudWatch rejects values beyond 2^360 in magnitude (API_MetricDatum).
func finite(name string, v float64) error {
	if math.IsNaN(v) || math.Abs(v) > math.Pow(2, 360) {
		return fmt.Errorf("metric %s: %g is outside what CloudWatch accepts", name, v)
	}
	return nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return false
		}
	}
	return true
}
