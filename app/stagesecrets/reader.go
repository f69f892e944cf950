package stagesecrets

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Reader is what the foundation's reader secret holds: the read-only IAM user's key and where
// the vault it may read lives. CloudFormation writes it (infra/foundation); nothing else does.
type Reader struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Bucket          string `json:"bucket"`
	Prefix          string `json:"prefix"`
	Region          string `json:"region"`
}

// ParseReader decodes a reader secret. Errors never quote the value.
func ParseReader(value string) (Reader, error) {
	var r Reader
	if err := json.Unmarshal([]byte(value), &r); err != nil {
		return Reader{}, fmt.Errorf("the reader secret is not the foundation's JSON document (accessKeyId, secretAccessKey, bucket, prefix, region)")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"accessKeyId", r.AccessKeyID}, {"secretAccessKey", r.SecretAccessKey}, {"bucket", r.Bucket}, {"prefix", r.Prefix}, {"region", r.Region},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Reader{}, fmt.Errorf("the reader secret lacks %s", strings.Join(missing, ", "))
	}
	return r, nil
}
