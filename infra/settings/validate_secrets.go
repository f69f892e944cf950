package settings

import (
	"regexp"
	"strings"
)

// Secrets Manager appends "-" and 6 random letters (either case) and digits to a secret's name
// in its ARN (secretSuffixRE). A suffix of 6 lowercase letters is what a partial ARN of a name
// ending in a word looks like (keel/prod/vsync-config), and about 1 random suffix in 180
// ((26/62)^6) looks so too: those ARNs need the secret's name beside them. Every other suffix
// is taken for random.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
var wordSuffixRE = regexp.MustCompile(`-[a-z]{6}$`)

// validateSecrets: the foundation's secrets (the default), or two imported ones that tasks
// can read: complete ARNs in the stage's account and region.
func (s Stage) validateSecrets(p *problems) {
	sec := s.Secrets
	if !sec.Imported() {
		if sec.KMSKeyARN != "" {
			p.add("secrets.kmsKeyArn", quote(sec.KMSKeyARN), "the foundation's secrets use its own key (foundation.customerManagedKey): remove kmsKeyArn, or import both secrets with configArn and passphraseArn")
		}
		for _, nv := range []named[string]{{"secrets.configName", sec.ConfigName}, {"secrets.passphraseName", sec.PassphraseName}} {
			if nv.value != "" {
				p.add(nv.name, quote(nv.value), "a secret name only qualifies an imported ARN: set configArn and passphraseArn too, or remove it")
			}
		}
		if d := s.Foundation.NoncurrentVersionDays; d < 1 || d > 3650 {
			p.add("foundation.noncurrentVersionDays", d, "keep replaced vault objects 1 to 3650 days (30 is enough to undo a bad push)")
		}
		if n := s.Foundation.ReaderKeySerial; n < 0 {
			p.add("foundation.readerKeySerial", n, "0 or more: raise it by one to rotate the reader's key (make rotate-reader-key)")
		}
		return
	}
	for _, in := range []struct{ arnSetting, arn, nameSetting, name string }{
		{"secrets.configArn", sec.ConfigARN, "secrets.configName", sec.ConfigName},
		{"secrets.passphraseArn", sec.PassphraseARN, "secrets.passphraseName", sec.PassphraseName},
	} {
		s.validateSecretARN(p, in.arnSetting, in.arn, in.nameSetting, in.name)
	}
	if sec.ConfigARN == sec.PassphraseARN {
		p.add("secrets.passphraseArn", quote(sec.PassphraseARN), "the config and the passphrase must be two different secrets")
	}
	if arn := sec.KMSKeyARN; arn != "" {
		if !matchARN(arn, "kms", "key/") {
			p.add("secrets.kmsKeyArn", quote(arn), "use a key ARN, arn:aws:kms:<region>:<account>:key/<key id> (not an alias), or leave it empty for the AWS managed key")
		} else if arnRegion(arn) != s.Region || arnAccount(arn) != s.Account {
			p.add("secrets.kmsKeyArn", quote(arn), "Secrets Manager decrypts with a key in the secret's region: use a key of account %s in %s", s.Account, s.Region)
		}
	}
}

func (s Stage) validateSecretARN(p *problems, setting, arn, nameSetting, name string) {
	resource, _ := strings.CutPrefix(arnResource(arn), "secret:")
	switch {
	case arn == "":
		p.add(setting, `""`, "import both secrets (configArn and passphraseArn), or neither to use the foundation's (make foundation)")
	case !matchARN(arn, "secretsmanager", "secret:"):
		p.add(setting, quote(arn), "use the complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (aws secretsmanager describe-secret prints it)")
	case arnRegion(arn) != s.Region || arnAccount(arn) != s.Account:
		p.add(setting, quote(arn), "the secret is not in this stage's account %s and region %s, so its tasks would fail to start: create it there (or use make foundation) and use that ARN", s.Account, s.Region)
	case name != "":
		if !strings.HasPrefix(resource, name+"-") || !secretSuffixRE.MatchString(resource) || len(resource) != len(name)+7 {
			p.add(setting, quote(arn), "this is not the ARN of %s = %q (its name and a 6-character suffix): use the complete ARN that describe-secret prints for that secret", nameSetting, name)
		}
	case !secretSuffixRE.MatchString(resource):
		p.add(setting, quote(arn), "this is a partial ARN (no 6-character suffix): tasks would fail to start with AccessDenied; use the complete ARN that describe-secret prints")
	case wordSuffixRE.MatchString(resource):
		p.add(setting, quote(arn), "this looks like a partial ARN (it ends in -%s, a word rather than Secrets Manager's random suffix) and tasks would fail to start with AccessDenied: use the complete ARN that describe-secret prints; if it really ends so, set %s to the secret's name", resource[len(resource)-6:], nameSetting)
	}
}

func arnAccount(arn string) string {
	if m := arnRE.FindStringSubmatch(arn); m != nil {
		return m[4]
	}
	return ""
}

func arnResource(arn string) string {
	if m := arnRE.FindStringSubmatch(arn); m != nil {
		return m[5]
	}
	return ""
}
