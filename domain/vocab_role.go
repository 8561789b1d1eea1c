package domain

// Role is what a principal may do, and the kind of actor a case's history names; every route declares the roles
// it admits.
type Role string

// The roles of xinyong.
const (
	RoleEnterprise      Role = "enterprise"
	RoleDepartment      Role = "department"
	RoleCreditOffice    Role = "credit_office"
	RoleAgency          Role = "agency"
	RoleChannelOperator Role = "channel_operator"
	RoleAdmin           Role = "admin"
)

// Roles lists every role, in the order pages show them.
var Roles = []Role{RoleEnterprise, RoleDepartment, RoleCreditOffice, RoleAgency, RoleChannelOperator, RoleAdmin}

// Label is the Chinese name of the role shown to people.
func (r Role) Label() string {
	switch r {
	case RoleEnterprise:
		return "信用主体（企业）"
	case RoleDepartment:
		return "认定部门"
	case RoleCreditOffice:
		return "信用办"
	case RoleAgency:
		return "信用服务机构"
	case RoleChannelOperator:
		return "公示渠道"
	case RoleAdmin:
		return "系统管理员"
	}
	return string(r)
}
