-- +goose Up
-- Every process that serves requests keeps the users behind the tokens and sessions it has seen (storage's
-- credCache, issue 17) and empties that cache on this channel's notifications. They are sent on commit, once per
-- transaction, for every change that could refuse a credential or change who it is: any change to users and
-- sessions, a token's revocation, expiry, owner or hash, and deletions. A token's last use (written at most once a
-- minute per token by the request that uses it) does not notify, or every busy token would empty every cache.

-- +goose StatementBegin
CREATE FUNCTION xinyong_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xinyong_credentials', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_credentials AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION xinyong_credentials_changed();
CREATE TRIGGER sessions_credentials AFTER UPDATE OR DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION xinyong_credentials_changed();
CREATE TRIGGER api_tokens_credentials AFTER UPDATE OF token_hash, user_id, revoked_at, expires_at OR DELETE OR TRUNCATE
    ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION xinyong_credentials_changed();

-- +goose Down
DROP TRIGGER api_tokens_credentials ON api_tokens;
DROP TRIGGER sessions_credentials ON sessions;
DROP TRIGGER users_credentials ON users;
DROP FUNCTION xinyong_credentials_changed();
