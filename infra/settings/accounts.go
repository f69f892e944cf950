package settings

import (
	"errors"
	"fmt"
	"strings"
)

// oneQualifierPerStage: IAM role names are account-wide, so two stages bootstrapped in one
// account with one qualifier would share the deploy role, and each could deploy the other's
// stacks through it.
func oneQualifierPerStage(stages []Stage) error {
	owner := map[string]string{}
	var errs []error
	for _, s := range stages {
		key := s.Account + "/" + s.Bootstrap.Qualifier
		if first, ok := owner[key]; ok {
			errs = append(errs, fmt.Errorf("%s%s.bootstrap.qualifier = %q: %s%s uses it in the same account %s; give each stage its own qualifier so that they share no bootstrap roles",
				ContextPrefix, s.Name, s.Bootstrap.Qualifier, ContextPrefix, first, s.Account))
			continue
		}
		owner[key] = s.Name
	}
	return errors.Join(errs...)
}

// AccountWarnings are the layout problems that synth reports without failing: prod sharing
// its account with another stage, which prodAccountAlone allows only with the opt-out (or in
// the defaults' documentation account). One account per stage is what the README recommends.
func AccountWarnings(stages []Stage) []string {
	prod, sharing := prodSharing(stages)
	if prod == nil || len(sharing) == 0 {
		return nil
	}
	optOut := ""
	if prod.SharedAccountWithStages {
		optOut = fmt.Sprintf(" (%sprod.sharedAccountWithStages = true)", ContextPrefix)
	}
	return []string{fmt.Sprintf("%sprod.account = %s is also the account of %s%s: a mistake or a compromised pipeline in one of them can reach prod's account; use one account per stage (docs/security.md: Account layout)",
		ContextPrefix, prod.Account, strings.Join(sharing, " and "), optOut)}
}
