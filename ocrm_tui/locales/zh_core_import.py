"""Chinese texts: core_import (`ocrm import customers|products|accounts|transactions`, the AUM refresh)."""

ZH_CORE_IMPORT: dict[str, str] = {
    # services/core_import.py
    "{where}: {reason}": "{where}：{reason}",
    "Line 1: the header has no column {column}; a {kind} file has the columns {columns}":
        "第 1 行：表头缺少 {column} 列；{kind} 文件的列为 {columns}",
    "{column} is required": "{column} 为必填项",
    "{column} is at most {n} characters": "{column} 最多 {n} 个字符",
    "Line {line}: the file cannot be read as comma-separated values ({reason})":
        "第 {line} 行：无法按逗号分隔的格式读取文件（{reason}）",
    "{value} is already on line {first} of this file": "{value} 已出现在本文件第 {first} 行",
    "{value} is not a date written YYYY-MM-DD": "{value} 不是 YYYY-MM-DD 格式的日期",
    "{value} is not a currency code of three letters": "{value} 不是三个字母的币种代码",
    "The account matures before it was opened": "账户的到期日早于开户日",
    "{value} is not a time in ISO 8601 (2026-01-05T09:30:00)": "{value} 不是 ISO 8601 格式的时间（如 2026-01-05T09:30:00）",
    "{value} is in the future": "{value} 是将来的时间",
    "{no} is not an active relationship manager": "{no} 不是在职的客户经理",
    "This ID number is already on line {first} of this file": "该证件号码已出现在本文件第 {first} 行",
    "This ID number belongs to customer {no}": "该证件号码属于客户 {no}",
    "No customer with number {no}": "没有客户号为 {no} 的客户",
    "No account with number {no}": "没有账号为 {no} 的账户",
    "{path} cannot be written: {reason}": "无法写入 {path}：{reason}",
    # cli/import_cmd.py
    "extract|Customers": "客户",
    "extract|Products": "产品",
    "extract|Accounts": "账户",
    "extract|Transactions": "交易",
    "Loading products": "导入产品",
    "Loading accounts": "导入账户",
    "Loading transactions": "导入交易",
    "Building indexes": "重建索引",
    "Updating AUM and tiers": "更新资产与客户分层",
    "{stage}: {done} of {total} rows ({rate} rows/s)": "{stage}：{done} / {total} 行（每秒 {rate} 行）",
    "{stage}: {done} rows so far ({rate} rows/s)": "{stage}：已处理 {done} 行（每秒 {rate} 行）",
    "{stage}: {done} customers in {seconds} s": "{stage}：{done} 位客户，用时 {seconds} 秒",
    "… and {n} more problems ({rows} bad rows in all).": "……另有 {n} 个问题（共 {rows} 行有误）。",
    "Dry run, nothing was written. {kind}: {inserted} would be inserted, {updated} updated, {unchanged} unchanged, "
    "{rejected} rejected.":
        "试运行，未写入任何数据。{kind}：将新增 {inserted} 条，更新 {updated} 条，{unchanged} 条不变，拒绝 {rejected} 条。",
    "Nothing changed: the {n} rows of {file} are already on file.": "没有变化：{file} 的 {n} 行数据均已在库中。",
    "{kind}: {inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected; {rows} rows in "
    "{seconds} s ({rate} rows/s).":
        "{kind}：新增 {inserted} 条，更新 {updated} 条，{unchanged} 条不变，拒绝 {rejected} 条；共 {rows} 行，用时 {seconds} 秒（每秒 {rate} 行）。",
    "Rejected rows, with the reason, written to {path}": "被拒绝的行及原因已写入 {path}",
    "AUM brought up to date for {n} customers ({snapshots} monthly snapshots) in {seconds} s; tiers changed: "
    "{changed}; manual tiers kept: {kept}.":
        "已更新 {n} 位客户的资产（{snapshots} 条月度快照），用时 {seconds} 秒；分层变化：{changed} 位；保留手工分层：{kept} 位。",
    "Alert scan: {n} alerts raised.": "预警扫描：新增 {n} 条预警。",
}
