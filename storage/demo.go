package storage

import (
	"context"
	"fmt"

	"xinyong/domain"
)

// DemoPassword is the password of every demo login (dev only).
const DemoPassword = "demo"

// DemoDepartments are the recognizing departments of the demo city.
var DemoDepartments = []Department{
	{ID: "scjgj", Name: "市场监督管理局", Jurisdiction: "national", Sector: "market_supervision", Contact: "市场监督管理局信用监管科 0511-80000001",
		FullName: "镇江市市场监督管理局", ShortName: "市场监管局", DocCode: "镇市监"},
	{ID: "sthjj", Name: "生态环境局", Jurisdiction: "national", Sector: "general", Contact: "生态环境局法规科 0511-80000002",
		FullName: "镇江市生态环境局", ShortName: "生态环境局", DocCode: "镇环"},
	{ID: "yjglj", Name: "应急管理局", Jurisdiction: "national", Sector: "general", Contact: "应急管理局政策法规科 0511-80000003",
		FullName: "镇江市应急管理局", ShortName: "应急管理局", DocCode: "镇应急"},
}

// DemoEnterprises carry valid USCCs and names with characters that common GB fonts lack.
var DemoEnterprises = []Enterprise{
	{USCC: "91350100M000100Y43", Name: "福州燊源科技有限公司", LegalRepresentative: "林燊", Address: "福州市鼓楼区示例路1号"},
	{USCC: "91321100MA1MXY2K09", Name: "镇江堃元化工有限公司", LegalRepresentative: "王堃", Address: "镇江市京口区示例路2号"},
	{USCC: "91321102MA20A8B3XG", Name: "镇江喆安建筑工程有限公司", LegalRepresentative: "张喆", Address: "镇江市京口区示例路3号"},
	{USCC: "91321111MA1P4Q6L2D", Name: "镇江昇华食品有限公司", LegalRepresentative: "李昇", Address: "镇江市润州区示例路4号"},
	{USCC: "92321100MA22C5T7P6", Name: "镇江市润州区啰啰餐饮店", LegalRepresentative: "陈啰", Address: "镇江市润州区示例路5号"},
	{USCC: "91321191MA27R1HJ58", Name: "镇江新区安达机械制造有限公司", LegalRepresentative: "赵安达", Address: "镇江新区示例路6号"},
}

// DemoChannels are the publishing channels of 一件通用.
var DemoChannels = []Channel{
	{ID: "creditchina", Name: "信用中国", Kind: "manual", DeadlineWorkdays: 3, Active: true},
	{ID: "gsxt", Name: "国家企业信用信息公示系统", Kind: "manual", DeadlineWorkdays: 3, Active: true},
	{ID: "creditchina-local", Name: "信用中国（地方站）", Kind: "manual", DeadlineWorkdays: 3, Active: true},
	{ID: "dept-site", Name: "部门门户网站", Kind: "manual", DeadlineWorkdays: 3, Active: true},
	{ID: "thirdparty", Name: "第三方信用服务公司", Kind: "manual", DeadlineWorkdays: 5, Active: true},
}

// DemoOperatorLogins maps each demo channel to its operator's login.
var DemoOperatorLogins = map[string]string{
	"creditchina": "op-creditchina", "gsxt": "op-gsxt", "creditchina-local": "op-local", "dept-site": "op-dept", "thirdparty": "op-thirdparty",
}

// DemoUsers returns every demo login.
func DemoUsers() []NewUser {
	us := []NewUser{
		{Login: "office", DisplayName: "市信用办", Role: domain.RoleCreditOffice},
		{Login: "admin", DisplayName: "系统管理员", Role: domain.RoleAdmin},
		{Login: "agency", DisplayName: "镇江诚信信用服务有限公司", Role: domain.RoleAgency},
	}
	for _, d := range DemoDepartments {
		us = append(us, NewUser{Login: d.ID, DisplayName: d.Name, Role: domain.RoleDepartment, DepartmentID: d.ID})
	}
	for _, e := range DemoEnterprises {
		us = append(us, NewUser{Login: e.USCC, DisplayName: e.Name, Role: domain.RoleEnterprise, USCC: e.USCC})
	}
	for _, ch := range DemoChannels {
		us = append(us, NewUser{Login: DemoOperatorLogins[ch.ID], DisplayName: ch.Name + "运维", Role: domain.RoleChannelOperator, ChannelID: ch.ID})
	}
	for i := range us {
		us[i].Password = DemoPassword
	}
	return us
}

// SeedDemo writes the demo data; running it again changes nothing a user would notice.
func (db *DB) SeedDemo(ctx context.Context) error {
	for _, d := range DemoDepartments {
		if err := db.UpsertDepartment(ctx, d); err != nil {
			return err
		}
	}
	for _, e := range DemoEnterprises {
		if err := db.UpsertEnterprise(ctx, e); err != nil {
			return err
		}
	}
	for _, ch := range DemoChannels {
		if _, err := db.GetChannel(ctx, ch.ID); err == nil {
			continue // keep what the credit office configured since (kind, endpoint, secret)
		}
		if err := db.UpsertChannel(ctx, ch); err != nil {
			return err
		}
	}
	for _, u := range DemoUsers() {
		if _, err := db.UserByLogin(ctx, u.Login); err == nil {
			continue // keep a changed password and the existing sessions
		}
		if _, err := db.UpsertUser(ctx, u); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
	}
	return nil
}

// Demo data (`xinyong dev` only): the living demo city is made once, through the API; these audit entries say a
// run started and finished, so a restart finishes an interrupted run and never makes a second city.
const (
	DemoStartedAction   = "demo.started"
	DemoCompletedAction = "demo.completed"
)

// DemoRun is what the database says of the demo data.
type DemoRun struct {
	Started, Completed bool
	// HasCases: the database holds penalties (the demo is made only on a database without any of its own).
	HasCases bool
}

// DemoRunState reads the demo's markers.
func (db *DB) DemoRunState(ctx context.Context) (DemoRun, error) {
	var r DemoRun
	err := db.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM audit_log WHERE dedup_key = $1),
		EXISTS (SELECT 1 FROM audit_log WHERE dedup_key = $2),
		EXISTS (SELECT 1 FROM penalties)`, DemoStartedAction, DemoCompletedAction).Scan(&r.Started, &r.Completed, &r.HasCases)
	if err != nil {
		return r, fmt.Errorf("demo run state: %w", err)
	}
	return r, nil
}

// MarkDemo records a demo marker once (DemoStartedAction, DemoCompletedAction).
func (db *DB) MarkDemo(ctx context.Context, action string, details any) error {
	key := action
	return db.Audit(ctx, AuditEntry{Actor: "system", Role: "system", Action: action, CaseKind: "demo", DedupKey: &key}, details)
}

// WipeDemo drops every table of the database (the whole public schema) for `xinyong demo reset`; the caller
// migrates again. It refuses a database holding cases that the demo did not make.
func (db *DB) WipeDemo(ctx context.Context) error {
	st, err := db.DemoRunState(ctx)
	if err != nil {
		return err
	}
	if st.HasCases && !st.Started {
		return fmt.Errorf("demo reset: the database holds penalties that are not demo data; refusing to wipe it")
	}
	if _, err := db.ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		return fmt.Errorf("demo reset: wipe: %w", err)
	}
	return nil
}
