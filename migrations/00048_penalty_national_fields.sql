-- +goose Up
-- The data items of the national 双公示 行政处罚 standard that the platform's own columns do not hold (issue 19):
-- 法定代表人, 处罚内容, 没收金额, 暂扣或吊销证照名称及编号, 处罚有效期, the authority's and the data source's names
-- and codes, 备注. They are kept as an import or a registration gave them, one JSON object per record, and exported
-- again in the national format. 公示截止期 is not among them: the platform computes the publication's end from the
-- rule set (publication_ends); nor is 处罚机关, which is the registering department.
ALTER TABLE penalties ADD COLUMN national jsonb NOT NULL DEFAULT '{}'::jsonb;

-- +goose Down
ALTER TABLE penalties DROP COLUMN IF EXISTS national;
