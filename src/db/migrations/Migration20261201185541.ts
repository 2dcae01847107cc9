import { Migration } from '@mikro-orm/migrations';

export class Migration20261201185541 extends Migration {

  override name = 'Migration20261201185541';

  override up(): void | Promise<void> {
    this.addSql(`create index "ledger_entry_correlation_id_index" on "ledger_entry" ("correlation_id");`);
    this.addSql(`create index "ledger_entry_signal_id_index" on "ledger_entry" ("signal_id");`);

    this.addSql(`alter table "risk_day" add "state_cause" text null, add "last_command_at" timestamptz null;`);
    this.addSql(`alter table "risk_day" add constraint "risk_day_state_cause_check" check ("state_cause" in ('DAILY_LOSS', 'NEW_DAY', 'OPERATOR'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "ledger_entry_correlation_id_index";`);
    this.addSql(`drop index "ledger_entry_signal_id_index";`);

    this.addSql(`alter table "risk_day" drop constraint "risk_day_state_cause_check";`);
    this.addSql(`alter table "risk_day" drop column "state_cause", drop column "last_command_at";`);
  }

}
