package infra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestGitHubRoles: each stage's roles trust only GitHub's OIDC tokens for the repository, the
// diff role only pull requests, the deploy role only the stage's environment; the diff role can
// read one stack and assume the lookup role; the deploy role can assume the bootstrap roles.
func TestGitHubRoles(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			s, tp := a.built[name].Settings, a.github[name]
			providers := len(tp.resources("AWS::IAM::OIDCProvider"))
			if want := map[bool]int{true: 1, false: 0}[s.GitHub.OIDCProviderARN == ""]; providers != want {
				t.Errorf("%d OIDC providers, want %d", providers, want)
			}
			roles := map[string]map[string]any{}
			for _, r := range tp.resources("AWS::IAM::Role") {
				p := r["Properties"].(map[string]any)
				roles[p["RoleName"].(string)] = p
			}
			for purpose, subject := range map[string]string{"diff": "pull_request", "deploy": "environment:" + name} {
				role := roles[fmt.Sprintf("keel-%s-github-%s", name, purpose)]
				trust := jsonOf(get(role, "AssumeRolePolicyDocument", "Statement"))
				want := fmt.Sprintf(`"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:%s:%s"}}`, s.GitHub.Repository, subject)
				if !strings.Contains(trust, want) || !strings.Contains(trust, `"Action":"sts:AssumeRoleWithWebIdentity"`) || strings.Count(trust, `"Effect"`) != 1 {
					t.Errorf("%s role trust = %s\nwant one statement with %s", purpose, trust, want)
				}
			}
			bootstrap := func(kind string) string {
				return fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-%s-role-%s-%s", s.Account, s.GitHub.CDKQualifier, kind, s.Account, s.Region)
			}
			readStack := fmt.Sprintf(`{"Action":["cloudformation:DescribeStacks","cloudformation:GetTemplate"],"Effect":"Allow","Resource":"arn:aws:cloudformation:%s:%s:stack/keel-%s/*"}`, s.Region, s.Account, name)
			if got := jsonOf(policy(t, tp, "RolesDiffDefaultPolicy")); got != `[`+readStack+`,{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"`+bootstrap("lookup")+`"}]` {
				t.Errorf("diff role statements: %s", got)
			}
			wantDeploy := `[` + readStack + `,{"Action":"sts:AssumeRole","Effect":"Allow","Resource":["` + bootstrap("deploy") + `","` + bootstrap("file-publishing") + `","` + bootstrap("image-publishing") + `","` + bootstrap("lookup") + `"]},` +
				// The deploy check's DescribeSecret on the two secrets, nothing more (no value).
				fmt.Sprintf(`{"Action":"secretsmanager:DescribeSecret","Effect":"Allow","Resource":["arn:aws:secretsmanager:%[1]s:%[2]s:secret:keel/%[3]s/vsync-config-??????","arn:aws:secretsmanager:%[1]s:%[2]s:secret:keel/%[3]s/vsync-passphrase-??????"]}]`, s.Region, s.Account, name)
			if got := jsonOf(policy(t, tp, "RolesDeployDefaultPolicy")); got != wantDeploy {
				t.Errorf("deploy role statements:\n got %s\nwant %s", got, wantDeploy)
			}
		})
	}
}
