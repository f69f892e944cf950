package config

import (
	"strings"
	"testing"
	"time"
)

func TestDatabaseSettings(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := Load(env())
	if err != nil || c.Database.Managed() || c.Database.PoolMax != 10 || c.Database.PoolAcquireTimeout != 2*time.Second || c.Database.Port != 5432 {
		t.Fatalf("defaults: %+v %v", c.Database, err)
	}
	c, err = Load(env("DB_HOST", "db.x", "DB_NAME", "keel", "DB_USER", "keel", "DB_REGION", "eu-west-1", "DB_AUTH", "iam", "DB_POOL_MAX", "7"))
	if err != nil || !c.Database.Managed() || !c.Database.IAM || c.Database.PoolMax != 7 {
		t.Fatalf("managed: %+v %v", c.Database, err)
	}
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"DB_HOST", "db.x", "DB_NAME", "keel", "DB_USER", "keel", "DB_REGION", "eu-west-1"}, `DB_AUTH="": set DB_AUTH=iam`},
		{[]string{"DB_HOST", "db.x", "DB_AUTH", "iam"}, `DB_NAME=""`},
		{[]string{"DB_AUTH", "password"}, `DB_AUTH="password": use iam`},
		{[]string{"DB_POOL_MAX", "0"}, `DB_POOL_MAX="0"`},
		{[]string{"DB_POOL_ACQUIRE_TIMEOUT", "-1s"}, `DB_POOL_ACQUIRE_TIMEOUT="-1s"`},
		{[]string{"DB_PORT", "70000"}, `DB_PORT="70000"`},
	} {
		if _, err := Load(env(tt.env...)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %s", tt.env, err, tt.want)
		}
	}
}
