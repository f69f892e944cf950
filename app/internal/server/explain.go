package server

import (
	"context"
	"errors"

	"github.com/keelstack/keel/app/vsync"
)

// explanation is what an operator reads when boot fails: what the error class means here and
// what to do about it. Never a value.
type explanation struct{ meaning, fix string }

var explanations = map[string]explanation{
	"ConfigMissingError": {
		"VSYNC_CONFIG or VSYNC_PASSPHRASE (or its _FILE form) is missing, unreadable, world-writable, or not a vsync token",
		"put both in the task definition's secrets (the stage's secrets.configArn and secrets.passphraseArn), or fix the _FILE path and mode; mint the token with `vault token`",
	},
	"ConfigUnsupportedVersionError": {
		"VSYNC_CONFIG is not a token this reader accepts (another format version, standard base64, a short salt, or iterations above the ceiling)",
		"mint a new token with `vault token` and update the config secret, then force a new deployment",
	},
	"WrongPassphraseError": {
		"the published bundle does not decrypt with VSYNC_PASSPHRASE",
		"the passphrase secret and the bundle disagree, usually a rotation race (bundle re-sealed, secret not yet updated, or the reverse): set the secret to the passphrase of the current bundle, then force a new deployment",
	},
	"S3UnreachableError": {
		"S3 could not be read with the token's key before BOOT_TIMEOUT",
		"check the token's endpoint and region, the IAM key (403: wrong or disabled key, or no s3:GetObject on the prefix), the task's egress (NAT or VPC endpoint, security group), DNS and TLS; raise BOOT_TIMEOUT only if S3 is merely slow",
	},
	"ManifestNotFoundError": {
		"nothing is published at the token's bucket and prefix",
		"publish the vault first (`vault push`), or mint the token for the right prefix",
	},
	"BundleCorruptError": {
		"the token or the published objects are damaged or incomplete",
		"publish again with `vault push`; if the token is the damaged part, mint a new one",
	},
	"UnsupportedSpecVersionError": {
		"the bundle was written in a newer vsync format",
		"upgrade the service's vsync reader, or publish with a writer of this format",
	},
}

// explain returns the error class of err and its explanation.
func explain(err error) (string, explanation) {
	name := vsync.CanonicalName(err)
	if e, ok := explanations[name]; ok {
		return name, e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "BootTimeout", explanation{
			"the vault was fetched but its key was not derived before BOOT_TIMEOUT",
			"give the task more CPU or raise BOOT_TIMEOUT; a token with a very high iteration count derives slowly",
		}
	}
	return "Error", explanation{"the vault could not be opened", "see detail"}
}
