package settings

// FoundationNames are the fixed names of a stage's foundation: `make publish` and the deploy
// check find the secrets from the stage name alone, and app/stagesecrets spells the same
// names (test/infra checks that both agree).
type FoundationNames struct {
	Stack            string
	Prefix           string // the stage's keys in the vault bucket
	ConfigSecret     string
	PassphraseSecret string
	ReaderSecret     string
	ReaderUser       string
}

// FoundationNames of this stage.
func (s Stage) FoundationNames() FoundationNames {
	return FoundationNames{
		Stack:            "keel-" + s.Name + "-foundation",
		Prefix:           "keel/" + s.Name + "/",
		ConfigSecret:     "keel/" + s.Name + "/vsync-config",
		PassphraseSecret: "keel/" + s.Name + "/vsync-passphrase",
		ReaderSecret:     "keel/" + s.Name + "/vault-reader",
		ReaderUser:       "keel-" + s.Name + "-vault-reader",
	}
}
