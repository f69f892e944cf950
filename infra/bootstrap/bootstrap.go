// Package bootstrap provides what a stage's scoped CDK bootstrap needs before it runs: the
// CloudFormation execution policies (instead of AdministratorAccess) and the permissions
// boundary, as customer-managed policies in a stack an administrator deploys.
//
//	cdk bootstrap --qualifier <q> --toolkit-stack-name CDKToolkit-<q> \
//	  --cloudformation-execution-policies <ExecutionPolicyARNs> --custom-permissions-boundary <BoundaryName>
//
// The bootstrap attaches the policies to its CloudFormation execution role and sets the
// boundary on that role; the service stack sets the same boundary on every role it creates.
package bootstrap

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

var (
	stageRE     = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
	qualifierRE = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
)

type Props struct {
	// Stage names the policies (keel-<stage>-...) and the roles they let the stack manage.
	Stage string
	// Qualifier is the stage's bootstrap qualifier: its SSM version parameter is the one the
	// service stack's template reads.
	Qualifier string
	// ServiceStack is the only stack the execution role's boundary lets it touch.
	ServiceStack string
	// PassRoleServices are the service principals that may receive the stack's roles.
	PassRoleServices []string
	// ServiceLinkedRoles are the services whose service-linked roles the stack may create.
	ServiceLinkedRoles []string
	// ResolvedSecrets are the names of the secrets the stack's dynamic references read: the
	// only secrets whose values the execution role may read. Each is under keel/<stage>/.
	ResolvedSecrets []string
	// ImportedSecretARNs are secrets outside keel/<stage>/ the stage's roles read (a stage
	// that imports its secrets).
	ImportedSecretARNs []string
	// Foundation is what the administrator's foundation stack owns; zero when the stage
	// imports its secrets.
	Foundation Foundation
	// DomainName is the stage's DNS name, whose records (and ACM validation records) are the
	// only ones its roles may change; empty: none.
	DomainName string
}

// Foundation names the foundation's resources that no role of the stage may change.
type Foundation struct {
	// Stack is the foundation stack's name: its bucket's generated name starts with it, and
	// CloudFormation tags its resources with it.
	Stack string
	// ReaderSecret holds the reader's key: no role of the stage may read or change it.
	ReaderSecret string
	// ReadOnlySecrets are the secrets the service reads and the execution role must not change.
	ReadOnlySecrets []string
}

func (p Props) validate() error {
	switch {
	case !stageRE.MatchString(p.Stage):
		return fmt.Errorf("bootstrap: Stage %q must be lowercase letters and digits", p.Stage)
	case !qualifierRE.MatchString(p.Qualifier):
		return fmt.Errorf("bootstrap: Qualifier %q must be 1 to 10 lowercase letters and digits", p.Qualifier)
	case p.ServiceStack == "":
		return errors.New("bootstrap: ServiceStack is required")
	case len(p.PassRoleServices) == 0 || len(p.ServiceLinkedRoles) == 0:
		return errors.New("bootstrap: PassRoleServices and ServiceLinkedRoles are required (the service stack passes roles and creates service-linked roles)")
	case p.Foundation.Stack != "" && p.Foundation.ReaderSecret == "":
		return errors.New("bootstrap: Foundation.ReaderSecret is required with Foundation.Stack")
	}
	for _, name := range p.ResolvedSecrets {
		if !strings.HasPrefix(name, "keel/"+p.Stage+"/") {
			return fmt.Errorf("bootstrap: ResolvedSecrets %q is not under keel/%s/: the execution role reads the stage's own secrets only", name, p.Stage)
		}
	}
	return nil
}

// Bootstrap is what `cdk bootstrap` is pointed at.
type Bootstrap struct {
	constructs.Construct
	ExecutionPolicies []awsiam.ManagedPolicy
	Boundary          awsiam.ManagedPolicy
	// ExecutionPolicyARNs and BoundaryName are literal strings (the stage's account is known
	// at synth), the values of --cloudformation-execution-policies and
	// --custom-permissions-boundary.
	ExecutionPolicyARNs []string
	BoundaryName        string
	ToolkitStackName    string
}

// BoundaryName is the permissions boundary of a stage's roles.
func BoundaryName(stage string) string { return "keel-" + stage + "-boundary" }

// ToolkitStackName is the bootstrap stack of a qualifier: one per stage, so that two stages
// in one account each have their own.
func ToolkitStackName(qualifier string) string { return "CDKToolkit-" + qualifier }

// New adds the execution policies and the boundary to scope, whose stack must have a
// concrete account and region.
func New(scope constructs.Construct, id string, props Props) *Bootstrap {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	a := arns{partition: *stack.Partition(), account: *stack.Account(), region: *stack.Region(), stage: props.Stage}
	b := &Bootstrap{Construct: c, BoundaryName: BoundaryName(props.Stage), ToolkitStackName: ToolkitStackName(props.Qualifier)}

	for i, doc := range pack(executionStatements(props, a), maxPolicyChars) {
		name := fmt.Sprintf("keel-%s-cfn-execution-%d", props.Stage, i+1)
		b.ExecutionPolicies = append(b.ExecutionPolicies, managedPolicy(c, fmt.Sprintf("Execution%d", i+1), name,
			fmt.Sprintf("keel %s: what CloudFormation may do for the %s stack (part %d)", props.Stage, props.ServiceStack, i+1), doc))
		b.ExecutionPolicyARNs = append(b.ExecutionPolicyARNs, a.iam("policy/"+name))
	}
	b.Boundary = managedPolicy(c, "Boundary", b.BoundaryName,
		fmt.Sprintf("keel %s: the ceiling of the bootstrap execution role and of every role the %s stack creates", props.Stage, props.ServiceStack),
		document(boundaryStatements(props, a)))
	return b
}

func managedPolicy(scope constructs.Construct, id, name, description string, doc map[string]any) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(name),
		Description:       jsii.String(description),
		Document:          awsiam.PolicyDocument_FromJson(doc),
	})
}

// arns builds the literal ARNs of one stage's account.
type arns struct{ partition, account, region, stage string }

func (a arns) iam(resource string) string {
	return fmt.Sprintf("arn:%s:iam::%s:%s", a.partition, a.account, resource)
}

// stageRoles are the roles the service stack creates. CloudFormation names a role without a
// RoleName "<stack name>-<logical ID>-<random suffix>" (AWS::IAM::Role, RoleName: "If you don't
// specify a name, AWS CloudFormation generates a unique physical ID"; the ID starts with the
// stack name), and the stack is keel-<stage>.
func (a arns) stageRoles() string { return a.iam("role/keel-" + a.stage + "-*") }

func (a arns) boundary() string { return a.iam("policy/" + BoundaryName(a.stage)) }
