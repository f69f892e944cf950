package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestStackRolesWithinBoundary: every action the service stack grants its own roles (task,
// execution, flow log, traffic, and whatever a later construct adds) is Allowed through the
// boundary on the resources the grant names, in the default app and in the staging variant
// (imported secrets and key, imported VPC, blue/green). A ceiling that is too low fails here,
// by role.
func TestStackRolesWithinBoundary(t *testing.T) {
	var requests []simRequest
	for _, a := range []*synthesized{app(t), variant(t)} {
		stageRoleRequests(t, a, &requests)
	}
	if len(requests) == 0 {
		t.Fatal("no role policy in the service templates")
	}
	for i, r := range simulate(t, requests) {
		if r.Result != "Allowed" {
			t.Errorf("%s: %s on %s is %s through the boundary (%s): raise the ceiling in infra/bootstrap/ceiling.go", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error)
		}
	}
}

// stageRoleRequests adds, for every Allow statement of every role policy of a's service
// templates, one request per action and resource, by that role within its stage's boundary.
func stageRoleRequests(t *testing.T, a *synthesized, requests *[]simRequest) {
	t.Helper()
	for _, name := range settings.Names {
		s := a.built[name].Settings
		tp := a.templates[name]
		res := resolver{stage: name, account: s.Account, region: s.Region, resources: tp["Resources"].(map[string]any)}
		boundary := bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")
		for id, pol := range tp.resources("AWS::IAM::Policy") {
			doc := get(pol, "Properties", "PolicyDocument")
			for _, st := range anySlice(get(doc, "Statement")) {
				if get(st, "Effect") != "Allow" {
					continue
				}
				literal, err := literalStatement(res, st)
				if err != nil {
					t.Errorf("%s %s: %v", name, id, err)
					continue
				}
				role := principal{arn: fmt.Sprintf("arn:aws:iam::%s:role/keel-%s-%s-AbCdEf", s.Account, name, id), boundaries: boundary,
					policies: []namedPolicy{{Name: id, Policy: map[string]any{"Version": "2012-10-17", "Statement": []any{literal}}}}}
				for _, action := range strs(literal["Action"]) {
					for _, resource := range strs(literal["Resource"]) {
						*requests = append(*requests, role.request(fmt.Sprintf("%s %s", name, id), action, resource, s.Account, stageContext(name, resource, literal)))
					}
				}
			}
		}
	}
}

// literalStatement is a policy statement with its resources resolved to literal ARNs.
func literalStatement(res resolver, st any) (map[string]any, error) {
	out := map[string]any{"Effect": "Allow", "Action": get(st, "Action")}
	var resources []any
	for _, r := range append(anySlice(get(st, "Resource")), singleton(get(st, "Resource"))...) {
		literal, err := res.resolve(r)
		if err != nil {
			return nil, err
		}
		resources = append(resources, literal)
	}
	out["Resource"] = resources
	if c, ok := get(st, "Condition").(map[string]any); ok {
		literal := map[string]any{}
		for op, kv := range c {
			values := map[string]any{}
			for k, v := range kv.(map[string]any) {
				if _, isList := v.([]any); isList {
					values[k] = v
					continue
				}
				l, err := res.resolve(v)
				if err != nil {
					return nil, err
				}
				values[k] = l
			}
			literal[op] = values
		}
		out["Condition"] = literal
	}
	return out, nil
}

// singleton wraps a lone resource (a string or one intrinsic) into a list.
func singleton(v any) []any {
	if v == nil {
		return nil
	}
	if _, ok := v.([]any); ok {
		return nil
	}
	return []any{v}
}

// stageContext is what IAM knows of a request by the stage's own role on its own resource:
// the resource's keel:stage tag, the stack that made it, and the values the grant's own
// StringEquals conditions expect (kms:ViaService, say).
func stageContext(stage, resource string, st map[string]any) map[string]any {
	ctx := map[string]any{}
	if resource != "*" && !strings.HasPrefix(resource, "arn:aws:ecr:") {
		stack := "keel-" + stage
		if strings.Contains(resource, ":secret:keel/") || strings.Contains(resource, ":kms:") {
			stack += "-foundation"
		}
		ctx["aws:ResourceTag/keel:stage"] = stage
		ctx["aws:ResourceTag/aws:cloudformation:stack-name"] = stack
	}
	if eq, ok := get(st, "Condition", "StringEquals").(map[string]any); ok {
		for k, v := range eq {
			if !slices.Contains([]string{"aws:ResourceTag/keel:stage"}, k) {
				ctx[k] = v
			}
		}
	}
	return ctx
}

// TestExecutionPolicyWithinBoundary: the bootstrap puts the boundary on CloudFormation's
// execution role too, so every action the execution policies grant must pass the boundary,
// or a deploy fails half-way. Each grant is tried on one instance of each of its resources,
// with the values its own conditions expect.
func TestExecutionPolicyWithinBoundary(t *testing.T) {
	a := app(t)
	var requests []simRequest
	for _, name := range settings.Names {
		s := a.built[name].Settings
		exec := principal{arn: fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", s.Account, s.Bootstrap.Qualifier, s.Account, s.Region),
			policies: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-"), boundaries: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")}
		for _, p := range exec.policies {
			for _, st := range statementsOf(p.Policy) {
				if st.Effect != "Allow" {
					continue
				}
				ctx := map[string]any{}
				for k, v := range st.Condition["StringEquals"] {
					if list, ok := v.([]any); ok && len(list) > 0 {
						v = list[0]
					}
					ctx[k] = v
				}
				for _, action := range st.Actions {
					for _, resource := range st.Resources {
						instance, c := strings.NewReplacer("*", "x", "?", "A").Replace(resource), ctx
						if resource == "*" {
							// An action on "*" reaches one of the stage's own resources (or
							// creates one): it carries the stage's tags.
							instance, c = "*", maps.Clone(ctx)
							c["aws:ResourceTag/keel:stage"] = name
						}
						if action == "route53:ChangeResourceRecordSets" {
							if s.HTTPS.DomainName == "" {
								continue // no DNS name: the boundary withholds record changes on purpose
							}
							c["route53:ChangeResourceRecordSetsNormalizedRecordNames"] = []string{s.HTTPS.DomainName}
						}
						requests = append(requests, exec.request(name+" "+st.Sid, action, instance, s.Account, c))
					}
				}
			}
		}
	}
	evaluated, unknown := map[string]bool{}, map[string]bool{}
	for i, r := range simulate(t, requests) {
		key := requests[i].Name + " " + requests[i].Action
		switch {
		case strings.Contains(r.Error, "no.resource.types"):
			// A bucket action tried on the object ARN of the same grant, or the reverse.
		case strings.Contains(r.Error, "invalid.action"):
			unknown[requests[i].Action] = true
		case r.Result != "Allowed":
			t.Errorf("%s: %s on %s is %s (%s): the execution policy grants it, the boundary does not; raise the ceiling in infra/bootstrap/ceiling.go", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error)
			evaluated[key] = true
		default:
			evaluated[key] = true
		}
	}
	for i := range requests {
		if key := requests[i].Name + " " + requests[i].Action; !evaluated[key] && !unknown[requests[i].Action] {
			t.Errorf("%s: no resource of the grant fits %s, so it was never evaluated", requests[i].Name, requests[i].Action)
		}
	}
	if len(unknown) > 0 {
		// IAM cannot grant an action it does not know: neither policy can hold it for real.
		t.Logf("actions the simulator's IAM data does not know, not evaluated: %v", slices.Sorted(maps.Keys(unknown)))
	}
}

// TestDynamicReferencesResolvable: CloudFormation resolves every {{resolve:secretsmanager:...}}
// of a service template with the execution role, which may read only the secrets the stage
// names (bootstrap.Props.ResolvedSecrets): a new dynamic reference fails here by name instead
// of in the middle of a deploy.
func TestDynamicReferencesResolvable(t *testing.T) {
	a := app(t)
	var requests []simRequest
	for _, name := range settings.Names {
		s := a.built[name].Settings
		exec := principal{arn: fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", s.Account, s.Bootstrap.Qualifier, s.Account, s.Region),
			policies: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-"), boundaries: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")}
		resources := a.templates[name]["Resources"].(map[string]any)
		names, err := resolvedSecrets(resources, resources)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(names) == 0 {
			t.Fatalf("%s: no dynamic reference found (the smoke token's header value is one)", name)
		}
		for _, secret := range names {
			arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", s.Region, s.Account, secret)
			requests = append(requests, exec.request(name+" resolves "+secret, "secretsmanager:GetSecretValue", arn, s.Account, nil))
		}
	}
	for _, r := range simulate(t, requests) {
		if r.Result != "Allowed" {
			t.Errorf("%s: %s; add the secret to ResolvedSecrets in infra/stage/bootstrap.go (under keel/<stage>/)", r.Name, r.Result)
		}
	}
}

// resolvedSecrets finds the secret names of the dynamic references in v: a literal
// "{{resolve:secretsmanager:NAME:...}}", or "{{resolve:secretsmanager:" joined with a Ref to
// a secret of the template (its Name).
func resolvedSecrets(v any, resources map[string]any) ([]string, error) {
	const prefix = "{{resolve:secretsmanager:"
	var out []string
	switch v := v.(type) {
	case string:
		if _, rest, ok := strings.Cut(v, prefix); ok && rest != "" {
			name, _, _ := strings.Cut(rest, ":")
			out = append(out, name)
		}
	case []any:
		for i, x := range v {
			if s, ok := x.(string); ok && strings.HasSuffix(s, prefix) && i+1 < len(v) {
				id, _ := get(v[i+1], "Ref").(string)
				secret, ok := get(resources, id, "Properties", "Name").(string)
				if !ok {
					return nil, fmt.Errorf("a dynamic reference to %s, which is not a named secret of the template", jsonOf(v[i+1]))
				}
				out = append(out, secret)
			}
			more, err := resolvedSecrets(x, resources)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			more, err := resolvedSecrets(v[k], resources)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	}
	return out, nil
}
