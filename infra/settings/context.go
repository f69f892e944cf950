package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ContextPrefix starts the context key of a stage's overrides: "keel:prod" in cdk.json's
// "context", or `cdk synth -c keel:prod='{"scaling":{"maxTasks":20}}'`.
const ContextPrefix = "keel:"

// FromContext builds every stage from its defaults and the overrides in the app's context,
// and validates them all. The error lists every problem, one per line.
func FromContext(context map[string]any) ([]Stage, error) {
	var errs []error
	for key := range context {
		if name, ok := strings.CutPrefix(key, ContextPrefix); ok && !slices.Contains(Names, name) {
			errs = append(errs, fmt.Errorf("context key %q: %w", key, unknownStage(name)))
		}
	}
	stages := make([]Stage, 0, len(Names))
	for _, name := range Names {
		s, err := Defaults(name)
		if err == nil {
			if raw, ok := context[ContextPrefix+name]; ok {
				err = s.overlay(raw)
			}
		}
		if err == nil {
			err = s.Validate()
		}
		errs = append(errs, err)
		stages = append(stages, s)
	}
	errs = append(errs, oneProviderPerAccount(stages), oneQualifierPerStage(stages), prodAccountAlone(stages))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return stages, nil
}

// oneProviderPerAccount: IAM allows one OIDC provider per URL in an account, so only one
// stage per account may create GitHub's.
func oneProviderPerAccount(stages []Stage) error {
	creator := map[string]string{}
	var errs []error
	for _, s := range stages {
		if s.GitHub.OIDCProviderARN != "" {
			continue
		}
		if first, ok := creator[s.Account]; ok {
			errs = append(errs, fmt.Errorf(`%s%s.github.oidcProviderArn = "": %s%s already creates the GitHub OIDC provider of account %s (one per account); set it to %s`,
				ContextPrefix, s.Name, ContextPrefix, first, s.Account, GitHubProviderARN(s.Account)))
			continue
		}
		creator[s.Account] = s.Name
	}
	return errors.Join(errs...)
}

// overlay merges overrides over s: a JSON object from cdk.json, or a JSON string from -c.
// Unknown keys are errors: a typo must not silently keep the default.
func (s *Stage) overlay(raw any) error {
	var js []byte
	switch v := raw.(type) {
	case string:
		js = []byte(v)
	default:
		var err error
		if js, err = json.Marshal(v); err != nil {
			return fmt.Errorf("%s%s: %v", ContextPrefix, s.Name, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	err := dec.Decode(s)
	if err == nil {
		err = s.overlayDatabase(js)
	}
	if err != nil {
		return fmt.Errorf("%s%s: %v: fix the override in cdk.json (settings are listed in infra/settings/settings.go)", ContextPrefix, s.Name, err)
	}
	return nil
}
