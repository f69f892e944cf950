package infra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestGitHubRoles: each stage's roles trust only GitHub's OIDC tokens with one exact subject:
// the deploy role the deploy-stage workflow from main in the stage's environment, the diff
// role the diff workflow from main on a pull request. The diff role reads one stack and
// assumes nothing (no lookup role); the deploy role assumes only its own qualifier's deploy
// and publishing roles and reads the stage's three deployment alarms (make deploy checks none
// is in ALARM). The OIDC provider, where created, is retained.
func TestGitHubRoles(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			s, tp := a.built[name].Settings, a.github[name]
			providers := tp.resources("AWS::IAM::OIDCProvider")
			if want := map[bool]int{true: 1, false: 0}[s.GitHub.OIDCProviderARN == ""]; len(providers) != want {
				t.Errorf("%d OIDC providers, want %d", len(providers), want)
			}
			for id, p := range providers {
				if p["DeletionPolicy"] != "Retain" || p["UpdateReplacePolicy"] != "Retain" {
					t.Errorf("OIDC provider %s is not retained: %s", id, jsonOf(p))
				}
			}
			roles := map[string]map[string]any{}
			for _, r := range tp.resources("AWS::IAM::Role") {
				p := r["Properties"].(map[string]any)
				roles[p["RoleName"].(string)] = p
			}
			repo := s.GitHub.Repository
			// The deploy trusts main's ref exactly; the diff any pull request's merge ref.
			for purpose, want := range map[string]string{
				"diff": `"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:` + repo +
					`:pull_request:ref:refs/pull/*/merge:job_workflow_ref:` + repo + `/.github/workflows/diff.yml@refs/heads/main"}}`,
				"deploy": `"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:` + repo +
					`:environment:` + name + `:ref:refs/heads/main:job_workflow_ref:` + repo + `/.github/workflows/deploy-stage.yml@refs/heads/main"}}`,
			} {
				role := roles[fmt.Sprintf("keel-%s-github-%s", name, purpose)]
				trust := jsonOf(get(role, "AssumeRolePolicyDocument", "Statement"))
				if !strings.Contains(trust, want) || !strings.Contains(trust, `"Action":"sts:AssumeRoleWithWebIdentity"`) || strings.Count(trust, `"Effect"`) != 1 {
					t.Errorf("%s role trust = %s\nwant one statement with %s", purpose, trust, want)
				}
			}
			bootstrap := func(kind string) string {
				return fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-%s-role-%s-%s", s.Account, s.Bootstrap.Qualifier, kind, s.Account, s.Region)
			}
			readStack := fmt.Sprintf(`{"Action":["cloudformation:DescribeStacks","cloudformation:GetTemplate"],"Effect":"Allow","Resource":"arn:aws:cloudformation:%s:%s:stack/keel-%s/*"}`, s.Region, s.Account, name)
			diff := jsonOf(policy(t, tp, "RolesDiffDefaultPolicy"))
			if diff != `[`+readStack+`]` {
				t.Errorf("diff role statements: %s\nwant only %s", diff, readStack)
			}
			if strings.Contains(diff, "sts:AssumeRole") || strings.Contains(diff, "lookup-role") {
				t.Errorf("the diff role may assume a role (the lookup role reads the whole account): %s", diff)
			}
			alarm := func(suffix string) string {
				return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:keel-%s-deployment-%s", s.Region, s.Account, name, suffix)
			}
			readAlarms := `{"Action":"cloudwatch:DescribeAlarms","Effect":"Allow","Resource":["` + alarm("5xx-rate") + `","` + alarm("p99") + `","` + alarm("unhealthy-hosts") + `"]}`
			smokeToken := fmt.Sprintf(`{"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":"arn:aws:secretsmanager:%s:%s:secret:keel/%s/smoke-token-??????"}`, s.Region, s.Account, name)
			wantDeploy := `[` + readStack + `,` + readAlarms + `,` + smokeToken + `,{"Action":"sts:AssumeRole","Effect":"Allow","Resource":["` + bootstrap("deploy") + `","` + bootstrap("file-publishing") + `","` + bootstrap("image-publishing") + `"]},` +
				// The deploy check's DescribeSecret on the two secrets, nothing more (no value).
				fmt.Sprintf(`{"Action":"secretsmanager:DescribeSecret","Effect":"Allow","Resource":["arn:aws:secretsmanager:%[1]s:%[2]s:secret:keel/%[3]s/vsync-config-??????","arn:aws:secretsmanager:%[1]s:%[2]s:secret:keel/%[3]s/vsync-passphrase-??????"]}]`, s.Region, s.Account, name)
			if got := jsonOf(policy(t, tp, "RolesDeployDefaultPolicy")); got != wantDeploy {
				t.Errorf("deploy role statements:\n got %s\nwant %s", got, wantDeploy)
			}
		})
	}
}

// TestScopedBootstrap: each stage has its own qualifier (no two stages share bootstrap roles
// even in one account); the service stack uses it; the admin stacks need no bootstrap.
func TestScopedBootstrap(t *testing.T) {
	a := app(t)
	qualifiers := map[string]string{}
	for _, name := range settings.Names {
		b := a.built[name]
		q := b.Settings.Bootstrap.Qualifier
		if other, ok := qualifiers[q]; ok {
			t.Errorf("%s and %s share the qualifier %s", name, other, q)
		}
		qualifiers[q] = name
		if got := jsonOf(get(map[string]any(a.templates[name]), "Parameters", "BootstrapVersion", "Default")); got != `"/cdk-bootstrap/`+q+`/version"` {
			t.Errorf("%s service stack reads bootstrap version %s, want qualifier %s", name, got, q)
		}
		for kind, tp := range map[string]template{"github": a.github[name], "bootstrap": a.bootstrap[name]} {
			if tp["Parameters"] != nil || tp["Rules"] != nil {
				t.Errorf("%s %s stack needs a bootstrap (parameters %v, rules %v): an administrator deploys it before the bootstrap exists", name, kind, tp["Parameters"], tp["Rules"])
			}
		}
		meta := get(map[string]any(a.bootstrap[name]), "Metadata", "keel:bootstrap")
		if get(meta, "qualifier") != q || get(meta, "permissionsBoundary") != "keel-"+name+"-boundary" || len(anySlice(get(meta, "executionPolicyArns"))) == 0 {
			t.Errorf("%s bootstrap metadata (what make bootstrap passes to cdk bootstrap): %s", name, jsonOf(meta))
		}
	}
}
