package telemetry

import (
	"fmt"
	"strings"
	"testing"
)

// emfLine builds a document by hand, so that each case breaks one rule.
func emfLine(namespace, dims, metrics, members string) string {
	return fmt.Sprintf(`{"_aws":{"Timestamp":1800000000000,"CloudWatchMetrics":[{"Namespace":%q,"Dimensions":%s,"Metrics":%s}]}%s}`, namespace, dims, metrics, members)
}

func repeatJSON(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, ",")
}

func TestValidateAcceptsTheSpecificationsExample(t *testing.T) {
	good := emfLine("keel", `[["Service","Route"],["Service"]]`, `[{"Name":"Requests","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"},{"Name":"Sizes"}]`,
		`,"Service":"keel-dev","Route":"/healthz","Requests":3,"Latency":{"Values":[1.2,5],"Counts":[2,1],"Max":5.1,"Min":1,"Count":3,"Sum":8},"Sizes":[1,2,3]`)
	if err := Validate([]byte(good)); err != nil {
		t.Fatal(err)
	}
}

// TestValidateRefuses: each case breaks one rule of the specification; the check must fail.
func TestValidateRefuses(t *testing.T) {
	one := `[{"Name":"M","Unit":"Count"}]`
	tests := map[string]string{
		"not JSON":          `{"_aws":`,
		"two objects":       `{} {}`,
		"no _aws":           `{"M":1}`,
		"no timestamp":      `{"_aws":{"CloudWatchMetrics":[]},"M":1}`,
		"bad namespace":     emfLine("keel ns!", `[[]]`, one, `,"M":1`),
		"long namespace":    emfLine(strings.Repeat("n", 257), `[[]]`, one, `,"M":1`),
		"101 metrics":       emfLine("keel", `[[]]`, "["+repeatJSON(101, func(i int) string { return fmt.Sprintf(`{"Name":"M%d"}`, i) })+"]", ","+repeatJSON(101, func(i int) string { return fmt.Sprintf(`"M%d":1`, i) })),
		"31 dimensions":     emfLine("keel", "[["+repeatJSON(31, func(i int) string { return fmt.Sprintf(`"D%d"`, i) })+"]]", one, `,"M":1,`+repeatJSON(31, func(i int) string { return fmt.Sprintf(`"D%d":"v"`, i) })),
		"101 values":        emfLine("keel", `[[]]`, one, `,"M":[`+repeatJSON(101, func(int) string { return "1" })+"]"),
		"101 distribution":  emfLine("keel", `[[]]`, one, `,"M":{"Values":[`+repeatJSON(101, func(i int) string { return fmt.Sprint(i) })+`],"Counts":[`+repeatJSON(101, func(int) string { return "1" })+`],"Max":100,"Min":0,"Count":101,"Sum":5050}`),
		"counts mismatch":   emfLine("keel", `[[]]`, one, `,"M":{"Values":[1,2],"Counts":[1],"Max":2,"Min":1,"Count":1,"Sum":1}`),
		"metric missing":    emfLine("keel", `[[]]`, one, ``),
		"metric not number": emfLine("keel", `[[]]`, one, `,"M":"1"`),
		"dimension missing": emfLine("keel", `[["Service"]]`, one, `,"M":1`),
		"dimension number":  emfLine("keel", `[["Service"]]`, one, `,"M":1,"Service":7`),
		"dimension empty":   emfLine("keel", `[["Service"]]`, one, `,"M":1,"Service":" "`),
		"dimension colon":   emfLine("keel", `[[":Service"]]`, one, `,"M":1,":Service":"x"`),
		"unit unknown":      emfLine("keel", `[[]]`, `[{"Name":"M","Unit":"Requests"}]`, `,"M":1`),
		"resolution":        emfLine("keel", `[[]]`, `[{"Name":"M","StorageResolution":30}]`, `,"M":1`),
		"too large":         emfLine("keel", `[[]]`, one, `,"M":1,"pad":"`+strings.Repeat("x", 1<<20)+`"`),
	}
	for name, line := range tests {
		if err := Validate([]byte(line)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
