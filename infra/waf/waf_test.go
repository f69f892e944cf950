package waf

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

func TestPropsValidate(t *testing.T) {
	good := Props{LoadBalancerARN: jsii.String("arn"), Name: "keel-prod", RequestsPerIPPerFiveMinutes: 2000, LogRetention: awslogs.RetentionDays_ONE_WEEK}
	if err := good.validate(); err != nil {
		t.Fatalf("good props: %v", err)
	}
	for want, change := range map[string]func(*Props){
		"LoadBalancerARN is required":     func(p *Props) { p.LoadBalancerARN = nil },
		`Name "keel prod"`:                func(p *Props) { p.Name = "keel prod" },
		"RequestsPerIPPerFiveMinutes = 9": func(p *Props) { p.RequestsPerIPPerFiveMinutes = 9 },
		"LogRetention is required":        func(p *Props) { p.LogRetention = "" },
		"at most 100 redacted fields":     func(p *Props) { p.RedactedHeaders = make([]string, 101) },
	} {
		p := good
		change(&p)
		if err := p.validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v", want, err)
		}
	}
}
