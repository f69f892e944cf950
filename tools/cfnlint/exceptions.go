package cfnlint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Exception is one cfn-lint finding accepted for one resource type, with the reason.
type Exception struct {
	Rule   string `yaml:"rule"`
	Type   string `yaml:"type"`
	Reason string `yaml:"reason"`
}

var (
	ruleRE = regexp.MustCompile(`^[EWI][0-9]{4}$`)
	typeRE = regexp.MustCompile(`^(AWS|Custom)::[A-Za-z0-9]+(::[A-Za-z0-9]+)?$`)
)

// LoadExceptions reads the exceptions file: a list under "exceptions", each a rule, a resource
// type and a reason. A wildcard, a missing reason or a duplicate is an error: an exception is
// a decision about one rule on one kind of resource, never a blanket ignore.
func LoadExceptions(path string) ([]Exception, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cfn-lint exceptions: %w", err)
	}
	var f struct {
		Exceptions []Exception `yaml:"exceptions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("cfn-lint exceptions %s: %w", path, err)
	}
	seen := map[Exception]bool{}
	for i, e := range f.Exceptions {
		key := Exception{Rule: e.Rule, Type: e.Type}
		switch {
		case !ruleRE.MatchString(e.Rule):
			return nil, fmt.Errorf("%s: exception %d: rule %q is not one cfn-lint rule ID (like E3002); list each rule on its own", path, i+1, e.Rule)
		case !typeRE.MatchString(e.Type):
			return nil, fmt.Errorf("%s: exception %d (%s): type %q is not one resource type (like AWS::ECS::Service); no wildcards", path, i+1, e.Rule, e.Type)
		case e.Reason == "":
			return nil, fmt.Errorf("%s: exception %d (%s on %s) has no reason: say why the finding does not apply", path, i+1, e.Rule, e.Type)
		case seen[key]:
			return nil, fmt.Errorf("%s: exception %d repeats %s on %s", path, i+1, e.Rule, e.Type)
		}
		seen[key] = true
	}
	return f.Exceptions, nil
}
