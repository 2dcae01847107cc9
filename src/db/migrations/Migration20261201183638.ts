import { Migration } from '@mikro-orm/migrations';

export class Migration20261201183638 extends Migration {

  override name = 'Migration20261201183638';

  override up(): void | Promise<void> {
    this.addSql(`create index "ledger_entry_correlation_id_index" on "ledger_entry" ("correlation_id");`);
    this.addSql(`create index "ledger_entry_signal_id_index" on "ledger_entry" ("signal_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "ledger_entry_correlation_id_index";`);
    this.addSql(`drop index "ledger_entry_signal_id_index";`);
  }

}
