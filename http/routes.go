package httpapi

import (
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"xinyong/domain"
)

// This file is the map of the server: every route with its method, path, the roles that may call it and its
// handler, and every role's menu. The OpenAPI document (openapi.go) is generated from the same table.

// apiPrefix is where the JSON API lives; its routes take Idempotency-Key and answer JSON errors.
const apiPrefix = "/api/v1"

// route is one endpoint.
type route struct {
	method  string // fiber.Method*, or methodAll for every method
	path    string
	roles   []domain.Role // who may call it; anyone for public routes (never nil, so no row forgets it)
	handler func(*Server, *fiber.Ctx) error
	// before builds a middleware that runs ahead of the role check (a rate limiter), per server.
	before func() fiber.Handler
	// devOnly routes are mounted only with the channel simulator (SimulatorEnv=1), never in production.
	devOnly bool
}

const methodAll = "ALL"

// The roles of the table. A capability's own sets (repairViewers, channelAdmins...) are next to its handlers.
var (
	anyone      = []domain.Role{} // no login needed
	signedIn    = domain.Roles
	admin       = []domain.Role{domain.RoleAdmin}
	enterprises = []domain.Role{domain.RoleEnterprise}
	dept        = []domain.Role{domain.RoleDepartment}
	office      = []domain.Role{domain.RoleCreditOffice}
	operators   = []domain.Role{domain.RoleChannelOperator}
	// officeAdmin are the credit office and admins (oversight and statistics).
	officeAdmin = []domain.Role{domain.RoleCreditOffice, domain.RoleAdmin}
	// overseers are those who see every department's figures, departments their own.
	overseers        = []domain.Role{domain.RoleCreditOffice, domain.RoleDepartment, domain.RoleAdmin}
	uploaders        = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAgency}
	entOrDept        = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment}
	recordReaders    = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAdmin}
	stepTakers       = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice}
	trainingRecorder = []domain.Role{domain.RoleAgency, domain.RoleCreditOffice}
	// scrapers hold a credential the route checks itself (the metrics token). Such routes are mounted ahead of the
	// session and API-token middleware, which would take that bearer token for an API token and refuse it.
	scrapers = []domain.Role{roleScraper}
)

// roleScraper is no account's role: it marks the routes of scrapers.
const roleScraper domain.Role = "scraper"

// routeTable lists every route. Order matters where paths overlap: a literal segment (/penalties/import) comes
// before the parameter it would otherwise match (/penalties/:id).
var routeTable = []route{
	// Platform.
	{fiber.MethodGet, "/healthz", anyone, (*Server).healthz, nil, false},
	{fiber.MethodGet, "/readyz", anyone, (*Server).readyz, nil, false},
	{fiber.MethodGet, "/metrics", scrapers, (*Server).metrics, nil, false},
	{fiber.MethodGet, "/static/*", anyone, (*Server).static, nil, false},
	{fiber.MethodGet, "/favicon.ico", anyone, (*Server).favicon, nil, false},
	{fiber.MethodGet, "/login", anyone, (*Server).loginPage, nil, false},
	{fiber.MethodPost, "/login", anyone, (*Server).loginSubmit, nil, false},
	{fiber.MethodPost, "/logout", anyone, (*Server).logout, nil, false},
	{fiber.MethodGet, "/", signedIn, (*Server).homePage, nil, false},
	{fiber.MethodGet, "/admin/tokens", admin, (*Server).adminTokensPage, nil, false},
	{fiber.MethodPost, "/admin/tokens", admin, (*Server).adminTokensCreate, nil, false},
	{fiber.MethodPost, "/admin/tokens/:id/revoke", admin, (*Server).adminTokensRevoke, nil, false},
	{fiber.MethodPost, "/admin/users/:login/revoke-sessions", admin, (*Server).adminRevokeSessions, nil, false},
	{fiber.MethodGet, "/api/openapi.json", anyone, (*Server).openAPI, nil, false},
	{fiber.MethodGet, "/api/docs", anyone, (*Server).apiDocsPage, nil, false},
	{fiber.MethodGet, "/api/v1/me", signedIn, (*Server).me, nil, false},
	{fiber.MethodGet, "/api/v1/tasks", signedIn, (*Server).listTasks, nil, false},
	{fiber.MethodGet, "/api/v1/tasks/export", signedIn, (*Server).exportTasks, nil, false},
	{fiber.MethodGet, "/api/v1/enterprises", overseers, (*Server).searchEnterprises, nil, false},
	{fiber.MethodPatch, "/api/v1/enterprises/:uscc", officeAdmin, (*Server).updateEnterprise, nil, false},
	{fiber.MethodGet, "/api/v1/tokens", signedIn, (*Server).listOwnTokens, nil, false},
	{fiber.MethodPost, "/api/v1/tokens", signedIn, (*Server).createOwnToken, nil, false},
	{fiber.MethodDelete, "/api/v1/tokens/:id", signedIn, (*Server).revokeOwnToken, nil, false},
	{fiber.MethodPost, "/api/v1/sessions/revoke", signedIn, (*Server).revokeOwnSessions, nil, false},
	{fiber.MethodGet, "/api/v1/audit", officeAdmin, (*Server).auditOfCase, nil, false},

	// Accounts: departments and users (admin), own password, enterprise activation (accounts.go).
	{fiber.MethodGet, "/api/v1/departments", officeAdmin, (*Server).listDepartmentsAPI, nil, false},
	{fiber.MethodPost, "/api/v1/departments", admin, (*Server).createDepartmentAPI, nil, false},
	{fiber.MethodGet, "/api/v1/users", admin, (*Server).listUsersAPI, nil, false},
	{fiber.MethodPost, "/api/v1/users", admin, (*Server).createUserAPI, nil, false},
	{fiber.MethodPost, "/api/v1/users/:id/disable", admin, (*Server).disableUserAPI, nil, false},
	{fiber.MethodPost, "/api/v1/users/:id/enable", admin, (*Server).enableUserAPI, nil, false},
	{fiber.MethodPost, "/api/v1/users/:id/reset-password", admin, (*Server).resetPasswordAPI, nil, false},
	{fiber.MethodPost, "/api/v1/me/password", signedIn, (*Server).changeOwnPasswordAPI, nil, false},
	{fiber.MethodPost, "/api/v1/enterprise-accounts/activate", anyone, (*Server).activateAPI, activationLimiter, false},
	{fiber.MethodPost, "/api/v1/enterprise-accounts/:uscc/activation-codes", office, (*Server).issueActivationCodeAPI, nil, false},
	{fiber.MethodGet, "/admin/users", admin, (*Server).adminUsersPage, nil, false},
	{fiber.MethodPost, "/admin/users", admin, (*Server).adminUsersCreate, nil, false},
	{fiber.MethodPost, "/admin/users/:id/disable", admin, (*Server).adminUsersDisable, nil, false},
	{fiber.MethodPost, "/admin/users/:id/enable", admin, (*Server).adminUsersEnable, nil, false},
	{fiber.MethodPost, "/admin/users/:id/reset-password", admin, (*Server).adminUsersReset, nil, false},
	{fiber.MethodGet, "/admin/departments", admin, (*Server).adminDepartmentsPage, nil, false},
	{fiber.MethodPost, "/admin/departments", admin, (*Server).adminDepartmentsCreate, nil, false},
	{fiber.MethodGet, "/me/password", signedIn, (*Server).passwordPage, nil, false},
	{fiber.MethodPost, "/me/password", signedIn, (*Server).passwordSubmit, nil, false},
	{fiber.MethodGet, "/activate", anyone, (*Server).activatePage, nil, false},
	{fiber.MethodPost, "/activate", anyone, (*Server).activateSubmit, activationLimiter, false},
	{fiber.MethodPost, "/api/v1/cases/:kind/:id/assign", dept, (*Server).assignCase, nil, false},
	{fiber.MethodPost, "/api/v1/cases/:kind/:id/unassign", dept, (*Server).unassignCase, nil, false},
	{fiber.MethodPost, "/cases/:kind/:id/assign", dept, (*Server).assignCasePage, nil, false},
	{fiber.MethodPost, "/cases/:kind/:id/unassign", dept, (*Server).unassignCasePage, nil, false},
	{fiber.MethodPost, "/api/v1/cases/:kind/:id/urge", office, (*Server).urgeCase, nil, false},
	{fiber.MethodGet, "/enterprise-accounts/activation-codes", office, (*Server).activationCodePage, nil, false},
	{fiber.MethodPost, "/enterprise-accounts/activation-codes", office, (*Server).activationCodeSubmit, nil, false},

	// Reference data is public: deadlines and rules are published facts, and outside systems check them.
	{fiber.MethodGet, "/api/v1/calendar/deadline", anyone, (*Server).calendarDeadline, nil, false},
	{fiber.MethodGet, "/api/v1/calendar/years", signedIn, (*Server).calendarYears, nil, false},
	{fiber.MethodPost, "/api/v1/calendar/years", admin, (*Server).calendarImport, nil, false},
	{fiber.MethodGet, "/api/v1/rulesets", anyone, (*Server).listRuleSets, nil, false},
	{fiber.MethodGet, "/api/v1/rulesets/:id", anyone, (*Server).getRuleSet, nil, false},
	{fiber.MethodPost, "/api/v1/rulesets", admin, (*Server).createRuleSet, nil, false},
	{fiber.MethodPost, "/api/v1/rulesets/:id/activate", admin, (*Server).activateRuleSet, nil, false},
	{fiber.MethodPost, "/api/v1/rulesets/:id/deactivate", admin, (*Server).deactivateRuleSet, nil, false},
	{fiber.MethodPost, "/api/v1/publication-periods", signedIn, (*Server).publicationPeriods, nil, false},
	{fiber.MethodGet, "/admin/calendar", admin, (*Server).adminCalendarPage, nil, false},
	{fiber.MethodPost, "/admin/calendar", admin, (*Server).adminCalendarUpload, nil, false},

	// Attachments (materials of cases).
	{fiber.MethodPost, "/api/v1/attachments", uploaders, (*Server).uploadAttachment, nil, false},
	{fiber.MethodGet, "/api/v1/attachments/:id", uploaders, (*Server).getAttachment, nil, false},
	{fiber.MethodGet, "/api/v1/attachments/:id/content", uploaders, (*Server).getAttachmentContent, nil, false},
	{fiber.MethodGet, "/attachments/:id", uploaders, (*Server).getAttachmentContent, nil, false},

	// Letters, and their public verification (codes carry about 60 random bits; the limiter makes guessing
	// slower still, per address).
	{fiber.MethodGet, "/api/v1/letters/:id", signedIn, (*Server).getLetter, nil, false},
	{fiber.MethodGet, "/api/v1/letters/:id/pdf", signedIn, (*Server).getLetterPDF, nil, false},
	{fiber.MethodGet, "/letters/:id/pdf", signedIn, (*Server).getLetterPDF, nil, false},
	{fiber.MethodGet, "/verify", anyone, (*Server).verifyPage, verifyLimiter, false},
	{fiber.MethodGet, "/verify/:code", anyone, (*Server).verifyPage, verifyLimiter, false},
	// Public status lookup by 查询码 and USCC (status.go), rate-limited per address like /verify.
	{fiber.MethodGet, "/status", anyone, (*Server).statusPage, nil, false},
	{fiber.MethodPost, "/status", anyone, (*Server).statusLookup, statusLimiter, false},

	// Publication channels and the channel simulator.
	{fiber.MethodGet, "/api/v1/channels", signedIn, (*Server).listChannels, nil, false},
	{fiber.MethodPost, "/api/v1/channels", channelAdmins, (*Server).createChannel, nil, false},
	{fiber.MethodGet, "/api/v1/channels/:id/queue", queueReaders, (*Server).channelQueueAPI, nil, false},
	{fiber.MethodGet, "/api/v1/channels/:id", channelAdmins, (*Server).getChannel, nil, false},
	{fiber.MethodPut, "/api/v1/channels/:id", channelAdmins, (*Server).updateChannel, nil, false},
	{fiber.MethodGet, "/channels", channelAdmins, (*Server).channelsPage, nil, false},
	{fiber.MethodPost, "/channels", channelAdmins, (*Server).channelsCreateSubmit, nil, false},
	{fiber.MethodGet, "/channels/protocol", signedIn, (*Server).channelsProtocolPage, nil, false},
	// Applications pushed by a channel or another platform, authenticated by the channel's signature (inbound.go).
	{fiber.MethodPost, "/api/v1/inbound/:channel_id/repairs", anyone, (*Server).inboundRepair, nil, false},
	{fiber.MethodPost, "/api/v1/inbound/:channel_id/objections", anyone, (*Server).inboundObjection, nil, false},
	{fiber.MethodGet, "/channels/queue", operators, (*Server).channelsQueuePage, nil, false},
	{fiber.MethodGet, "/channels/queue/records/:penalty_id", operators, (*Server).channelRecordPage, nil, false},
	{fiber.MethodGet, "/channels/:id", channelAdmins, (*Server).channelEditPage, nil, false},
	{fiber.MethodPost, "/channels/:id", channelAdmins, (*Server).channelEditSubmit, nil, false},
	// Channels' systems call the simulator without a session: the signature is the credential.
	{fiber.MethodPost, simulatorPath + ":channel", anyone, (*Server).simulatorReceive, nil, true},
	{fiber.MethodGet, simulatorPath + ":channel", channelAdmins, (*Server).simulatorState, nil, true},
	{fiber.MethodPut, simulatorPath + ":channel", channelAdmins, (*Server).simulatorControl, nil, true},

	// Objections (异议).
	{fiber.MethodPost, "/api/v1/objections", objectionFilers, (*Server).fileObjection, nil, false},
	{fiber.MethodGet, "/api/v1/objections", objectionViewers, (*Server).listObjections, nil, false},
	{fiber.MethodGet, "/api/v1/objections/export", objectionViewers, (*Server).exportObjections, nil, false},
	{fiber.MethodGet, "/api/v1/objections/:id", objectionViewers, (*Server).getObjection, nil, false},
	{fiber.MethodPost, "/api/v1/objections/:id/resolve", dept, objectionStepAPI((*Server).resolve), nil, false},
	{fiber.MethodPost, "/api/v1/objections/:id/extend", dept, objectionStepAPI((*Server).extend), nil, false},
	{fiber.MethodPost, "/api/v1/objections/:id/channels/:channel_id/confirm", objectionViewers, objectionStepAPI((*Server).confirmChannel), nil, false},
	{fiber.MethodGet, "/api/v1/penalties/:id/versions", recordReaders, (*Server).getPenaltyVersions, nil, false},
	{fiber.MethodGet, "/objections", objectionViewers, (*Server).objectionsPage, nil, false},
	{fiber.MethodGet, "/objections/new", entOrDept, (*Server).objectionNewPage, nil, false},
	{fiber.MethodPost, "/objections", entOrDept, (*Server).objectionNewSubmit, nil, false},
	{fiber.MethodGet, "/objections/:id", objectionViewers, (*Server).objectionPage, nil, false},
	{fiber.MethodPost, "/objections/:id/resolve", dept, (*Server).objectionResolveSubmit, nil, false},
	{fiber.MethodPost, "/objections/:id/extend", dept, (*Server).objectionExtendSubmit, nil, false},
	{fiber.MethodPost, "/objections/:id/channels/:channel_id/confirm", objectionViewers, (*Server).objectionConfirmSubmit, nil, false},

	// Penalties (行政处罚信息) and their imports.
	{fiber.MethodPost, "/api/v1/penalties/import", dept, (*Server).importPenalties, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/imports", overseers, (*Server).listImports, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/imports/:id", overseers, (*Server).getImport, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/imports/:id/result", overseers, (*Server).importResultFile, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/import/template", overseers, (*Server).importTemplate, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/export", penaltyViewers, (*Server).exportPenalties, nil, false},
	{fiber.MethodPost, "/api/v1/penalties", dept, (*Server).registerPenalty, nil, false},
	{fiber.MethodGet, "/api/v1/penalties", penaltyViewers, (*Server).listPenalties, nil, false},
	{fiber.MethodGet, "/api/v1/penalties/:id", penaltyViewers, (*Server).getPenalty, nil, false},
	{fiber.MethodPost, "/api/v1/penalties/:id/delivery", dept, penaltyStepAPI("delivery"), nil, false},
	{fiber.MethodPost, "/api/v1/penalties/:id/revocation", dept, penaltyStepAPI("revocation"), nil, false},
	{fiber.MethodGet, "/penalties", penaltyViewers, (*Server).penaltiesPage, nil, false},
	{fiber.MethodGet, "/penalties/new", dept, (*Server).penaltyNewPage, nil, false},
	{fiber.MethodGet, "/penalties/enterprises", dept, (*Server).enterpriseLookup, nil, false},
	{fiber.MethodPost, "/penalties", dept, (*Server).penaltyNewSubmit, nil, false},
	{fiber.MethodGet, "/penalties/import", dept, (*Server).importPage, nil, false},
	{fiber.MethodPost, "/penalties/import", dept, (*Server).importUpload, nil, false},
	{fiber.MethodGet, "/penalties/imports/:id", overseers, (*Server).importResultPage, nil, false},
	{fiber.MethodGet, "/penalties/:id", penaltyViewers, (*Server).penaltyPage, nil, false},
	{fiber.MethodPost, "/penalties/:id/delivery", dept, penaltyStepPage("delivery"), nil, false},
	{fiber.MethodPost, "/penalties/:id/revocation", dept, penaltyStepPage("revocation"), nil, false},

	// Repair cases (信用修复). Each step of repairActions has its API route here, with the action's role.
	{fiber.MethodGet, "/api/v1/penalties/:id/eligibility", enterprises, (*Server).getEligibility, nil, false},
	{fiber.MethodPost, "/api/v1/repairs", applicants, (*Server).applyRepair, nil, false},
	{fiber.MethodGet, "/api/v1/repairs", repairViewers, (*Server).listRepairs, nil, false},
	{fiber.MethodGet, "/api/v1/repairs/export", repairViewers, (*Server).exportRepairs, nil, false},
	{fiber.MethodGet, "/api/v1/repairs/stats", overseers, (*Server).repairStats, nil, false},
	{fiber.MethodGet, "/api/v1/repairs/:id", repairViewers, (*Server).getRepair, nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/accept", dept, repairStepAPI("accept"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/request-supplement", dept, repairStepAPI("request-supplement"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/reject", dept, repairStepAPI("reject"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/extend", dept, repairStepAPI("extend"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/rectification-deadline", dept, repairStepAPI("rectification-deadline"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/warning-interview", dept, repairStepAPI("warning-interview"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/decide", dept, repairStepAPI("decide"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/supplement", enterprises, repairStepAPI("supplement"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/withdraw", enterprises, repairStepAPI("withdraw"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/attach-condition", enterprises, repairStepAPI("attach-condition"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/revoke", office, repairStepAPI("revoke"), nil, false},
	{fiber.MethodPost, "/api/v1/repairs/:id/reopen", office, repairStepAPI("reopen"), nil, false},
	{fiber.MethodGet, "/repairs", repairViewers, (*Server).repairsPage, nil, false},
	{fiber.MethodGet, "/repairs/new", enterprises, (*Server).selfCheckPage, nil, false},
	// The single window (一窗受理): walk-in applications taken by the credit office (window_pages.go).
	{fiber.MethodGet, "/window", office, (*Server).windowPage, nil, false},
	{fiber.MethodGet, "/window/enterprises/:uscc", office, (*Server).windowEnterprisePage, nil, false},
	{fiber.MethodGet, "/window/repairs/new", office, (*Server).windowRepairPage, nil, false},
	{fiber.MethodPost, "/window/repairs", office, (*Server).windowRepairSubmit, nil, false},
	{fiber.MethodGet, "/window/receipts/repairs/:id", office, (*Server).windowReceiptPage, nil, false},
	{fiber.MethodGet, "/window/objections/new", office, (*Server).windowObjectionPage, nil, false},
	{fiber.MethodPost, "/window/objections", office, (*Server).windowObjectionSubmit, nil, false},
	{fiber.MethodGet, "/window/receipts/objections/:id", office, (*Server).windowObjectionReceiptPage, nil, false},
	{fiber.MethodPost, "/repairs", enterprises, (*Server).applyRepairPage, nil, false},
	{fiber.MethodGet, "/repairs/:id", repairViewers, (*Server).repairPage, nil, false},
	// Any step of repairActions from the case page; the action's own role is checked with the step.
	{fiber.MethodPost, "/repairs/:id/:action", stepTakers, (*Server).repairStepPage, nil, false},

	// Trainings (信用修复培训).
	{fiber.MethodPost, "/api/v1/trainings", office, (*Server).createTraining, nil, false},
	{fiber.MethodGet, "/api/v1/trainings", trainingViewers, (*Server).listTrainings, nil, false},
	{fiber.MethodGet, "/api/v1/trainings/export", trainingViewers, (*Server).exportTrainings, nil, false},
	{fiber.MethodGet, "/api/v1/trainings/stats", officeAdmin, (*Server).trainingStats, nil, false},
	{fiber.MethodGet, "/api/v1/trainings/:id", trainingViewers, (*Server).getTraining, nil, false},
	{fiber.MethodGet, "/api/v1/trainings/:id/plan", trainingViewers, (*Server).trainingPlanPDF, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/enrollments", entOrDept, (*Server).enrollTraining, nil, false},
	{fiber.MethodDelete, "/api/v1/trainings/:id/enrollments/:uscc", stepTakers, (*Server).cancelEnrollment, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/enrollments/:uscc/cancel", stepTakers, (*Server).cancelEnrollment, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/attendance", trainingRecorder, (*Server).recordAttendance, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/results", trainingRecorder, (*Server).recordResult, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/results/import", trainingRecorder, (*Server).importTrainingRecords, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/close", trainingRecorder, (*Server).closeTraining, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/rating", office, (*Server).rateTraining, nil, false},
	{fiber.MethodPost, "/api/v1/trainings/:id/rectifications", dept, (*Server).trainingRectification, nil, false},
	{fiber.MethodGet, "/trainings", trainingViewers, (*Server).trainingsPage, nil, false},
	{fiber.MethodGet, "/trainings/new", office, (*Server).trainingNewPage, nil, false},
	{fiber.MethodPost, "/trainings", office, (*Server).trainingNewSubmit, nil, false},
	{fiber.MethodGet, "/trainings/stats", officeAdmin, (*Server).trainingStatsPage, nil, false},
	{fiber.MethodGet, "/trainings/:id", trainingViewers, (*Server).trainingPage, nil, false},
	{fiber.MethodGet, "/trainings/:id/plan", trainingViewers, (*Server).trainingPlanPDF, nil, false},
	{fiber.MethodPost, "/trainings/:id/enroll", entOrDept, (*Server).trainingEnrollSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/cancel", stepTakers, (*Server).trainingCancelSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/record", trainingRecorder, (*Server).trainingRecordSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/import", trainingRecorder, (*Server).trainingImportSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/close", trainingRecorder, (*Server).trainingCloseSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/rating", office, (*Server).trainingRatingSubmit, nil, false},
	{fiber.MethodPost, "/trainings/:id/rectification", dept, (*Server).trainingRectificationSubmit, nil, false},

	// Withdrawals (撤下公示) and publication confirmations of channels.
	{fiber.MethodGet, "/api/v1/withdrawals", signedIn, (*Server).listWithdrawals, nil, false},
	{fiber.MethodGet, "/api/v1/withdrawals/export", signedIn, (*Server).exportWithdrawals, nil, false},
	{fiber.MethodGet, "/api/v1/withdrawals/:id", signedIn, (*Server).getWithdrawal, nil, false},
	{fiber.MethodPost, "/api/v1/withdrawals/:id/channels/:channel_id/confirm", signedIn, (*Server).confirmWithdrawalChannel, nil, false},
	{fiber.MethodPost, "/api/v1/penalties/:id/publications/:channel_id/confirm", signedIn, (*Server).confirmPublication, nil, false},
	{fiber.MethodGet, "/withdrawals", channelAdmins, (*Server).withdrawalsPage, nil, false},
	{fiber.MethodGet, "/withdrawals/:id", signedIn, (*Server).withdrawalPage, nil, false},
	{fiber.MethodPost, "/withdrawals/:id/channels/:channel_id/confirm", signedIn, (*Server).withdrawalConfirmSubmit, nil, false},
	{fiber.MethodPost, "/penalties/:id/publications/:channel_id/confirm", signedIn, (*Server).publicationConfirmSubmit, nil, false},

	// List entries (名单, issue 14); their removal is a repair application with listing_id.
	{fiber.MethodPost, "/api/v1/listings", dept, (*Server).registerListing, nil, false},
	{fiber.MethodGet, "/api/v1/listings", recordReaders, (*Server).listListings, nil, false},
	{fiber.MethodGet, "/api/v1/listings/:id", recordReaders, (*Server).getListing, nil, false},
	{fiber.MethodGet, "/listings", recordReaders, (*Server).listingsPage, nil, false},
	{fiber.MethodGet, "/listings/:id", recordReaders, (*Server).listingPage, nil, false},

	// Bankruptcy shielding (破产重整/和解, issue 14).
	{fiber.MethodPost, "/api/v1/bankruptcy-shields", enterprises, (*Server).applyShield, nil, false},
	{fiber.MethodGet, "/api/v1/bankruptcy-shields/:id", recordReaders, (*Server).getShield, nil, false},
	{fiber.MethodPost, "/api/v1/bankruptcy-shields/:id/decide", dept, (*Server).decideShield, nil, false},
	{fiber.MethodPost, "/api/v1/bankruptcy-shields/:id/restore", dept, (*Server).restoreShield, nil, false},
	{fiber.MethodGet, "/bankruptcy-shields/:id", recordReaders, (*Server).shieldPage, nil, false},

	// Statistics (issue 19): the credit office sees every department, a department its own (stats.go).
	{fiber.MethodGet, "/api/v1/stats", overseers, (*Server).stats, nil, false},
	{fiber.MethodGet, "/stats", overseers, (*Server).statsPage, nil, false},
	{fiber.MethodGet, "/stats.xlsx", overseers, (*Server).statsXLSX, nil, false},

	// Anything else under the API is a JSON 404, never a page.
	{methodAll, "/api/v1/*", anyone, (*Server).noRoute, nil, false},
}

// menus lists, per role, the pages of the menu, in order.
var menus = map[domain.Role][]menuItem{
	domain.RoleEnterprise: {{"/objections", "异议申诉"}, {"/penalties", "我的信用记录"}, {"/repairs", "信用修复"},
		{"/trainings", "信用修复培训"}, {"/listings", "名单信息"}},
	domain.RoleDepartment: {{"/objections", "异议核实"}, {"/penalties", "处罚信息"}, {"/penalties/new", "登记处罚"},
		{"/penalties/import", "批量导入"}, {"/repairs", "信用修复受理"}, {"/trainings", "信用修复培训"}, {"/listings", "名单管理"}, {"/stats", "统计分析"}},
	domain.RoleCreditOffice: {{"/window", "一窗受理"}, {"/channels", "公示渠道"}, {"/objections", "异议处理"}, {"/penalties", "处罚信息"},
		{"/repairs", "信用修复"}, {"/trainings", "信用修复培训"}, {"/trainings/new", "组织培训"}, {"/trainings/stats", "培训统计"},
		{"/withdrawals", "撤下公示"}, {"/enterprise-accounts/activation-codes", "企业激活码"}, {"/listings", "名单信息"}, {"/stats", "统计分析"}},
	domain.RoleAgency: {{"/trainings", "承办的培训"}},
	domain.RoleChannelOperator: {{"/objections", "异议标注"}, {"/channels/queue", "渠道待办"},
		{"/channels/protocol", "对接规范"}},
	domain.RoleAdmin: {{"/admin/users", "用户管理"}, {"/admin/departments", "部门管理"}, {"/admin/tokens", "访问令牌"}, {"/channels", "公示渠道"}, {"/objections", "异议处理"},
		{"/admin/calendar", "节假日数据"}, {"/withdrawals", "撤下公示"}},
}

// routes mounts the table behind the middleware every request passes.
func (s *Server) routes() {
	app := s.app
	s.observe(app)
	api := app.Group(apiPrefix)
	dev := os.Getenv(SimulatorEnv) == "1"
	if dev {
		s.sim = &channelSimulator{channels: map[string]*simChannel{}}
	}
	s.table = routeTable
	// Scrapers' routes first: Fiber runs handlers in the order they were added, so these answer before the
	// middleware below looks at sessions and tokens.
	for _, r := range routeTable {
		if slices.Equal(r.roles, scrapers) {
			s.mount(app, api, r, dev)
		}
	}
	app.Use(s.admitRead, s.hardening, s.securityHeaders, s.authenticate, s.rateLimitAnonymous, s.csrf, s.passwordGate)
	// Text is checked once here for every route, after compressed bodies were refused, so no handler can forget it
	// (see textinput.go).
	app.Use(s.textInput)
	api = app.Group(apiPrefix, s.idempotency)
	for _, r := range routeTable {
		if !slices.Equal(r.roles, scrapers) {
			s.mount(app, api, r, dev)
		}
	}
}

// mount adds one route of the table: its limiter, its role check and its handler.
func (s *Server) mount(app *fiber.App, api fiber.Router, r route, dev bool) {
	if r.devOnly && !dev {
		return
	}
	if r.roles == nil {
		panic("route " + r.method + " " + r.path + " states no roles")
	}
	var hs []fiber.Handler
	if r.before != nil {
		hs = append(hs, r.before())
	}
	if len(r.roles) > 0 && !slices.Equal(r.roles, scrapers) {
		hs = append(hs, s.allow(r.roles...))
	}
	h := r.handler
	hs = append(hs, func(c *fiber.Ctx) error { return h(s, c) })
	var router fiber.Router = app
	path := r.path
	if rest, ok := strings.CutPrefix(r.path, apiPrefix); ok {
		router, path = api, rest
	}
	switch r.method {
	case methodAll:
		router.All(path, hs...)
	case fiber.MethodGet:
		router.Get(path, hs...) // and HEAD, as Fiber's Get does
	default:
		router.Add(r.method, path, hs...)
	}
}

// apiRoutes are a table's JSON API endpoints (not the catch-all), for the OpenAPI document.
func apiRoutes(table []route) []route {
	var out []route
	for _, r := range table {
		if strings.HasPrefix(r.path, apiPrefix+"/") && !strings.Contains(r.path, "*") && !r.devOnly {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b route) int { return strings.Compare(a.path, b.path) })
	return out
}

func (s *Server) noRoute(*fiber.Ctx) error { return errNoRoute }

func verifyLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max: 30, Expiration: time.Minute,
		LimitReached: func(c *fiber.Ctx) error {
			return newError(domain.KindRateLimited, "too_many_requests", "核验请求过于频繁，请稍后再试")
		},
	})
}
