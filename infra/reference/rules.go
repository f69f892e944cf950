package reference

import (
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/keelstack/keel/infra/settings"
)

// ruleNumber matches the numbers in a rule, which often come from the stage's other settings
// ("use a value from scaling.minTasks (3) to 1000").
var ruleNumber = regexp.MustCompile(`\d+(\.\d+)?`)

// rulesOf tries wrong values for the key on each stage and collects what validation says
// about this key: the rules as the code enforces them, not as someone remembered to write.
// A rule whose stages differ only in its numbers is shown once, with N for them.
func rulesOf(s setting, stages []settings.Stage) []string {
	variants := map[string][]string{} // by the rule with its numbers as N
	for _, st := range stages {
		for _, probe := range probes(s.typ) {
			trial := st
			field, ok := settable(&trial, s.index)
			if !ok || !probe.Type().AssignableTo(field.Type()) {
				continue
			}
			field.Set(probe)
			for _, msg := range messages(trial.Validate(), trial.Name, s.key) {
				general := ruleNumber.ReplaceAllString(msg, "N")
				if !slices.Contains(variants[general], msg) {
					variants[general] = append(variants[general], msg)
				}
			}
		}
	}
	rules := make([]string, 0, len(variants))
	for general, msgs := range variants {
		if len(msgs) == 1 {
			general = msgs[0]
		}
		rules = append(rules, general)
	}
	slices.Sort(rules)
	return rules
}

// messages picks, from a validation error, the explanations of lines about one key:
// "keel:dev.scaling.minTasks = 0: at least 1 task must run" gives "at least 1 task must run".
func messages(err error, stage, key string) []string {
	if err == nil {
		return nil
	}
	prefix := settings.ContextPrefix + stage + "." + key + " = "
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		if _, msg, ok := strings.Cut(rest, ": "); ok {
			out = append(out, msg)
		}
	}
	return out
}

// probes are the wrong values tried for a key of type t: out of range, empty, malformed.
func probes(t reflect.Type) []reflect.Value {
	var vs []any
	switch t.Kind() {
	case reflect.Int:
		vs = []any{-1, 0, 1, 3, 100000}
	case reflect.Float64:
		vs = []any{-1.0, 0.0, 0.05, 101.0}
	case reflect.Bool:
		vs = []any{true, false}
	case reflect.String:
		vs = []any{"", "x", "arn:aws:x", "Z"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			vs = []any{[]string{}, []string{"x"}, []string{"0.0.0.0/0"}}
		}
	}
	out := make([]reflect.Value, 0, len(vs))
	for _, v := range vs {
		out = append(out, reflect.ValueOf(v))
	}
	return out
}

// settable is the field at index in the trial stage, with every block on the way copied, so
// that setting it leaves the stage it was copied from alone; false inside an absent block.
func settable(trial *settings.Stage, index []int) (reflect.Value, bool) {
	v := reflect.ValueOf(trial).Elem()
	for _, i := range index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			clone := reflect.New(v.Type().Elem())
			clone.Elem().Set(v.Elem())
			v.Set(clone)
			v = clone.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}
