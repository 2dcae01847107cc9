import { Migration } from '@mikro-orm/migrations';

export class Migration20261201105438 extends Migration {

  override name = 'Migration20261201105438';

  override up(): void | Promise<void> {
    this.addSql(`create table "broker_session" ("user_id" varchar(255) not null, "api_key" varchar(255) not null, "access_token_sealed" text not null, "expires_at" timestamptz not null, "login_method" varchar(255) not null, "created_at" timestamptz not null, primary key ("user_id"));`);

    this.addSql(`create table "lease" ("name" varchar(255) not null, "holder" varchar(255) not null, "epoch" int not null, "expires_at" timestamptz not null, primary key ("name"));`);

    this.addSql(`create table "ledger_entry" ("event_id" uuid not null, "dedupe_key" varchar(255) not null, "kind" text not null, "namespace" varchar(255) not null, "correlation_id" uuid not null, "signal_id" uuid null, "strategy_id" varchar(255) not null, "instrument_token" bigint not null, "side" text not null, "quantity" int not null, "price_paise" bigint not null, "fill_price_paise" bigint null, "fees_paise" bigint null, "fee_breakdown" jsonb null, "fee_schedule" varchar(255) null, "order_id" varchar(255) null, "fill_id" varchar(255) null, "reason_code" varchar(255) null, "signal_kind" varchar(255) not null, "trading_day" varchar(10) not null, "event_ts" timestamptz not null, "recorded_at" timestamptz not null, "event" jsonb not null, primary key ("event_id"));`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "ledger_entry_namespace_trading_day_index" on "ledger_entry" ("namespace", "trading_day");`);
    this.addSql(`create index "ledger_entry_namespace_strategy_id_index" on "ledger_entry" ("namespace", "strategy_id");`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_namespace_order_id_fill_id_unique" unique ("namespace", "order_id", "fill_id");`);

    this.addSql(`create table "outbox" ("id" bigserial primary key, "topic" varchar(255) not null, "key" varchar(255) not null, "event" jsonb not null, "created_at" timestamptz not null, "published_at" timestamptz null);`);

    this.addSql(`create table "pnl_snapshot" ("id" bigserial primary key, "namespace" varchar(255) not null, "strategy_id" varchar(255) null, "ts" timestamptz not null, "net_paise" bigint not null, "cash_paise" bigint not null, "data" jsonb not null);`);
    this.addSql(`create index "pnl_snapshot_namespace_ts_index" on "pnl_snapshot" ("namespace", "ts");`);

    this.addSql(`create table "risk_day" ("namespace" varchar(255) not null, "trading_day" varchar(10) not null, "state" text not null, "day_start_net_paise" bigint not null, "updated_at" timestamptz not null, primary key ("namespace"));`);

    this.addSql(`create table "strategy" ("id" varchar(255) not null, "type" varchar(255) not null, "instruments" jsonb not null, "params" jsonb not null, "active" boolean not null, "live" boolean not null, "version" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "removed_at" timestamptz null, primary key ("id"));`);

    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_kind_check" check ("kind" in ('validated', 'rejected', 'placed', 'filled', 'failed'));`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_side_check" check ("side" in ('BUY', 'SELL'));`);

    this.addSql(`alter table "risk_day" add constraint "risk_day_state_check" check ("state" in ('ACTIVE', 'REDUCING', 'HALTED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "broker_session" cascade;`);
    this.addSql(`drop table if exists "lease" cascade;`);
    this.addSql(`drop table if exists "ledger_entry" cascade;`);
    this.addSql(`drop table if exists "outbox" cascade;`);
    this.addSql(`drop table if exists "pnl_snapshot" cascade;`);
    this.addSql(`drop table if exists "risk_day" cascade;`);
    this.addSql(`drop table if exists "strategy" cascade;`);
  }

}
