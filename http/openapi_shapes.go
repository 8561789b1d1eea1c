package httpapi

import (
	"xinyong/domain"
	"xinyong/storage"
)

// Media types of the routes that read or answer files rather than JSON.
const (
	mediaMultipart = "multipart/form-data"
	mediaCSV       = "text/csv"
	mediaPDF       = "application/pdf"
)

// apiShapes declares, per API route of the table ("METHOD path"), the Go types its handler reads and answers; the
// OpenAPI document (openapi.go) generates its schemas from them. Every API route has an entry: an answer (Resp,
// Binary or a 204), and for a route that changes something its body (Req, ReqMedia) or NoBody
// (TestOpenAPIDocumentValidatesAndCoversEveryRoute checks both).
var apiShapes = map[string]apiShape{
	// Identity, tokens and sessions.
	"GET /api/v1/me":               {Resp: meResponse{}, Summary: "当前身份"},
	"GET /api/v1/tokens":           {Resp: tokenJSON{}, List: true, Summary: "本人的访问令牌"},
	"POST /api/v1/tokens":          {Req: tokenInput{}, Resp: createdTokenJSON{}, Status: 201, Summary: "创建本人的访问令牌（令牌仅此一次显示）"},
	"DELETE /api/v1/tokens/:id":    {Status: 204, Summary: "吊销本人的访问令牌"},
	"POST /api/v1/sessions/revoke": {Req: sessionRevokeInput{}, BodyOptional: true, Resp: sessionRevokeJSON{}, Summary: "注销本人的全部会话（可含访问令牌）"},
	"POST /api/v1/me/password":     {Req: passwordInput{}, Resp: passwordChangedJSON{}, Summary: "修改本人密码"},
	"GET /api/v1/audit":            {Resp: storage.AuditEntry{}, List: true, Summary: "案件的审计记录（case_kind、case_id）"},

	// Accounts.
	"GET /api/v1/departments":                                 {Resp: storage.Department{}, List: true},
	"POST /api/v1/departments":                                {Req: departmentInput{}, Resp: storage.Department{}, Status: 201},
	"GET /api/v1/users":                                       {Resp: userJSON{}, List: true},
	"POST /api/v1/users":                                      {Req: userInput{}, Resp: userJSON{}, Status: 201},
	"POST /api/v1/users/:id/disable":                          {Resp: userJSON{}, NoBody: true, Summary: "停用用户"},
	"POST /api/v1/users/:id/enable":                           {Resp: userJSON{}, NoBody: true, Summary: "启用用户"},
	"POST /api/v1/users/:id/reset-password":                   {Resp: userJSON{}, NoBody: true, Summary: "重置密码（返回临时密码）"},
	"POST /api/v1/enterprise-accounts/activate":               {Req: activationInput{}, Resp: userJSON{}, Status: 201, Summary: "企业账号激活"},
	"POST /api/v1/enterprise-accounts/:uscc/activation-codes": {Resp: activationCodeJSON{}, NoBody: true, Status: 201, Summary: "签发企业激活码"},
	"GET /api/v1/enterprises":                                 {Resp: storage.Enterprise{}, List: true, Summary: "查询企业（q）"},
	"PATCH /api/v1/enterprises/:uscc":                         {Req: enterpriseUpdateInput{}, Resp: storage.Enterprise{}, Summary: "更正企业信息"},

	// Cases: assignment and urging.
	"POST /api/v1/cases/:kind/:id/assign":   {Req: assignInput{}, BodyOptional: true, Resp: storage.Assignment{}, Summary: "指派承办人（缺省为本人）"},
	"POST /api/v1/cases/:kind/:id/unassign": {Resp: unassignedJSON{}, NoBody: true, Summary: "取消指派"},
	"POST /api/v1/cases/:kind/:id/urge":     {Req: urgeInput{}, BodyOptional: true, Resp: urgedJSON{}, Status: 201, Summary: "督办逾期步骤"},

	// Reference data.
	"GET /api/v1/calendar/deadline":        {Resp: deadlineJSON{}, Summary: "按工作日计算期限（from、workdays）"},
	"GET /api/v1/calendar/years":           {Resp: storage.CalendarYear{}, List: true, Summary: "已载入的节假日年份"},
	"POST /api/v1/calendar/years":          {Req: domain.HolidayFile{}, Resp: calendarImportJSON{}, Status: 201, Summary: "载入一年的节假日（holiday-cn 格式）"},
	"GET /api/v1/rulesets":                 {Resp: ruleSetJSON{}, List: true},
	"GET /api/v1/rulesets/:id":             {Resp: ruleSetJSON{}},
	"POST /api/v1/rulesets":                {Req: domain.RuleSet{}, Resp: domain.RuleSet{}, Status: 201, Summary: "新增规则集"},
	"POST /api/v1/rulesets/:id/activate":   {Resp: ruleSetJSON{}, NoBody: true, Summary: "启用规则集"},
	"POST /api/v1/rulesets/:id/deactivate": {Resp: ruleSetJSON{}, NoBody: true, Summary: "停用规则集"},
	"POST /api/v1/publication-periods":     {Req: publicationRequest{}, Resp: domain.Publication{}, Summary: "按规则集计算公示期限"},

	// Attachments and letters.
	"POST /api/v1/attachments":            {ReqMedia: []string{mediaMultipart}, Resp: attachmentJSON{}, Status: 201, Summary: "上传材料（字段 file）"},
	"GET /api/v1/attachments/:id":         {Resp: attachmentJSON{}},
	"GET /api/v1/attachments/:id/content": {Binary: "application/octet-stream"},
	"GET /api/v1/letters/:id":             {Resp: letterJSON{}},
	"GET /api/v1/letters/:id/pdf":         {Binary: mediaPDF},

	// Channels and inbound pushes.
	"GET /api/v1/channels":                        {Resp: channelJSON{}, List: true},
	"POST /api/v1/channels":                       {Req: channelInput{}, Resp: channelJSON{}, Status: 201},
	"GET /api/v1/channels/:id":                    {Resp: channelJSON{}},
	"PUT /api/v1/channels/:id":                    {Req: channelInput{}, Resp: channelJSON{}},
	"GET /api/v1/channels/:id/queue":              {Resp: channelQueueJSON{}, Summary: "渠道待办"},
	"POST /api/v1/inbound/:channel_id/repairs":    {Req: inboundBody{}, Resp: inboundCaseJSON{}, Status: 201, Summary: "渠道推送的信用修复申请（签名认证；重复推送答 200）"},
	"POST /api/v1/inbound/:channel_id/objections": {Req: inboundBody{}, Resp: inboundCaseJSON{}, Status: 201, Summary: "渠道推送的异议申请（签名认证；重复推送答 200）"},

	// Objections.
	"POST /api/v1/objections":                                  {Req: objectionFiling{}, Resp: objectionJSON{}, Status: 201, Summary: "提出异议"},
	"GET /api/v1/objections":                                   {Resp: objectionJSON{}, List: true},
	"GET /api/v1/objections/export":                            {Binary: xlsxContentType, Summary: "导出异议案件（format=xlsx 或 csv，筛选条件同列表）"},
	"GET /api/v1/objections/:id":                               {Resp: objectionJSON{}},
	"POST /api/v1/objections/:id/resolve":                      {Req: resolutionBody{}, Resp: objectionJSON{}},
	"POST /api/v1/objections/:id/extend":                       {Req: extensionBody{}, Resp: objectionJSON{}},
	"POST /api/v1/objections/:id/channels/:channel_id/confirm": {Req: objectionConfirmBody{}, Resp: objectionJSON{}},

	// Penalties and their imports.
	"POST /api/v1/penalties/import":            {ReqMedia: []string{mediaCSV, xlsxContentType}, Resp: importJSON{}, Status: 201, Summary: "批量导入（CSV 或 xlsx，全国双公示格式或英文列名）"},
	"GET /api/v1/penalties/imports":            {Resp: storage.PenaltyImport{}, List: true, Summary: "导入批次"},
	"GET /api/v1/penalties/imports/:id":        {Resp: importJSON{}},
	"GET /api/v1/penalties/imports/:id/result": {Binary: xlsxContentType, Summary: "导入结果文件"},
	"GET /api/v1/penalties/import/template":    {Binary: xlsxContentType, Summary: "导入模板（format=xlsx 或 csv）"},
	"GET /api/v1/penalties/export":             {Binary: xlsxContentType, Summary: "导出处罚信息（format=xlsx 或 csv，筛选条件同列表）"},
	"POST /api/v1/penalties":                   {Req: penaltyInput{}, Resp: penaltyJSON{}, Status: 201, Summary: "登记行政处罚信息"},
	"GET /api/v1/penalties":                    {Resp: penaltyJSON{}, List: true, Summary: "行政处罚信息列表"},
	"GET /api/v1/penalties/:id":                {Resp: penaltyJSON{}, Summary: "行政处罚信息"},
	"GET /api/v1/penalties/:id/versions":       {Resp: penaltyVersionsJSON{}},
	"POST /api/v1/penalties/:id/delivery":      {Req: deliveryBody{}, Resp: penaltyJSON{}},
	"POST /api/v1/penalties/:id/revocation":    {Req: revocationBody{}, Resp: penaltyJSON{}},
	"GET /api/v1/penalties/:id/eligibility":    {Resp: eligibilityJSON{}},

	// Repairs (each step of repairActions is added by init below).
	"POST /api/v1/repairs":       {Req: repairApplication{}, Resp: repairJSON{}, Status: 201, Summary: "申请信用修复"},
	"GET /api/v1/repairs":        {Resp: repairJSON{}, List: true},
	"GET /api/v1/repairs/export": {Binary: xlsxContentType, Summary: "导出信用修复案件（format=xlsx 或 csv，筛选条件同列表）"},
	"GET /api/v1/repairs/stats":  {Resp: storage.RepairStats{}},
	"GET /api/v1/repairs/:id":    {Resp: repairJSON{}},

	// Trainings.
	"POST /api/v1/trainings":                              {Req: trainingInput{}, Resp: trainingJSON{}, Status: 201},
	"GET /api/v1/trainings":                               {Resp: trainingJSON{}, List: true},
	"GET /api/v1/trainings/export":                        {Binary: xlsxContentType, Summary: "导出培训（format=xlsx 或 csv，筛选条件同列表）"},
	"GET /api/v1/trainings/stats":                         {Resp: trainingStatsJSON{}},
	"GET /api/v1/trainings/:id":                           {Resp: trainingJSON{}},
	"GET /api/v1/trainings/:id/plan":                      {Binary: mediaPDF},
	"POST /api/v1/trainings/:id/enrollments":              {Req: enrollBody{}, BodyOptional: true, Resp: enrolledJSON{}, Status: 201, Summary: "报名（企业为本企业，部门代企业）"},
	"DELETE /api/v1/trainings/:id/enrollments/:uscc":      {Resp: trainingJSON{}, Summary: "取消报名"},
	"POST /api/v1/trainings/:id/enrollments/:uscc/cancel": {Resp: trainingJSON{}, NoBody: true, Summary: "取消报名"},
	"POST /api/v1/trainings/:id/attendance":               {Req: attendanceBody{}, Resp: enrollmentJSON{}},
	"POST /api/v1/trainings/:id/results":                  {Req: resultBody{}, Resp: enrollmentJSON{}},
	"POST /api/v1/trainings/:id/results/import":           {ReqMedia: []string{mediaCSV}, Resp: trainingImportJSON{}, Summary: "导入签到与成绩（CSV）"},
	"POST /api/v1/trainings/:id/close":                    {Resp: trainingJSON{}, NoBody: true, Status: 202, Summary: "结束培训（证书随后签发）"},
	"POST /api/v1/trainings/:id/rating":                   {Req: ratingBody{}, Resp: ratingJSON{}},
	"POST /api/v1/trainings/:id/rectifications":           {Req: rectificationBody{}, Resp: rectificationJSON{}, Status: 201},

	// Withdrawals and publication confirmations.
	"GET /api/v1/withdrawals":                                     {Resp: withdrawalSummaryJSON{}, List: true, Summary: "撤下公示"},
	"GET /api/v1/withdrawals/export":                              {Binary: xlsxContentType, Summary: "导出撤下公示（format=xlsx 或 csv，筛选条件同列表）"},
	"GET /api/v1/withdrawals/:id":                                 {Resp: withdrawalJSON{}},
	"POST /api/v1/withdrawals/:id/channels/:channel_id/confirm":   {Req: confirmInput{}, Resp: confirmedPublicationJSON{}},
	"POST /api/v1/penalties/:id/publications/:channel_id/confirm": {Req: confirmInput{}, Resp: confirmedPublicationJSON{}},

	// Tasks.
	"GET /api/v1/tasks":        {Resp: taskJSON{}, List: true, Summary: "待办"},
	"GET /api/v1/tasks/export": {Binary: xlsxContentType, Summary: "导出待办（format=xlsx 或 csv，筛选条件同列表）"},

	// Lists and bankruptcy shields.
	"POST /api/v1/listings":                       {Req: listingInput{}, Resp: listingJSON{}, Status: 201},
	"GET /api/v1/listings":                        {Resp: listingJSON{}, List: true},
	"GET /api/v1/listings/:id":                    {Resp: listingJSON{}},
	"POST /api/v1/bankruptcy-shields":             {Req: shieldInput{}, Resp: shieldJSON{}, Status: 201},
	"GET /api/v1/bankruptcy-shields/:id":          {Resp: shieldJSON{}},
	"POST /api/v1/bankruptcy-shields/:id/decide":  {Req: shieldDecisionInput{}, Resp: shieldJSON{}, Summary: "决定是否屏蔽"},
	"POST /api/v1/bankruptcy-shields/:id/restore": {Req: shieldRestoreInput{}, Resp: shieldJSON{}, Summary: "恢复公示（程序终止）"},

	// Statistics.
	"GET /api/v1/stats": {Resp: storage.Statistics{}, Summary: "统计（按期间与部门）"},
}

func init() {
	// Every repair step reads a stepBody and answers the case.
	for _, a := range repairActions {
		apiShapes["POST /api/v1/repairs/:id/"+a.path] = apiShape{Req: stepBody{}, Resp: repairJSON{}}
	}
}
