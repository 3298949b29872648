"""Chinese texts: campaign_cli (campaign report, target and SMS exports, the bank-marketing import)."""

ZH_CAMPAIGN_CLI: dict[str, str] = {
    # services/exports.py
    "Exported by {who} at {time}": "导出人：{who}，导出时间：{time}",
    "The file format is csv or xlsx (from --format or the file name's extension)":
        "文件格式为 csv 或 xlsx（由 --format 或文件扩展名指定）",
    "{path} is a folder; name the file to write": "{path} 是文件夹，请指定要写入的文件名",
    "The folder {folder} does not exist": "文件夹 {folder} 不存在",
    "{path} already exists; choose another file name or replace it with --force":
        "{path} 已存在；请换一个文件名，或用 --force 覆盖",
    "Export": "导出信息",
    # services/bank_marketing.py
    "{channel}; last call {seconds} s; calls in this campaign: {calls}":
        "{channel}；最后一次通话 {seconds} 秒；本次活动共联系 {calls} 次",
    "earlier campaigns: calls {calls}, the last {days} days before, outcome {outcome}":
        "以往活动：联系 {calls} 次，最近一次在 {days} 天前，结果：{outcome}",
    "earlier campaigns: calls {calls}, outcome {outcome}": "以往活动：联系 {calls} 次，结果：{outcome}",
    "mobile phone": "手机",
    "landline": "固定电话",
    "unknown channel": "渠道不详",
    "earlier campaign|success": "成功",
    "earlier campaign|failure": "失败",
    "earlier campaign|other": "其他",
    "earlier campaign|unknown": "不详",
    "{where}: {reason}; nothing was imported": "{where}：{reason}；未导入任何数据",
    "{path} is not a file that can be read": "{path} 不是可读取的文件",
    "Line {line}, column {column}": "第 {line} 行，{column} 列",
    "Line {line}": "第 {line} 行",
    "{message} ({n} bad rows in all)": "{message}（共 {n} 行有误）",
    "The file has a header but no rows": "文件只有表头，没有数据行",
    "The file is empty": "文件是空的",
    "There is no organisation yet; add the head office first (ocrm org add)":
        "还没有任何机构；请先添加总行（ocrm org add）",
    "Only an administrator imports files": "只有系统管理员可以导入文件",
    "{value} is not an age in years": "{value} 不是有效的年龄",
    "Line 1: the header has no column {column}; a bank-marketing file has the columns {columns}":
        "第 1 行：表头缺少 {column} 列；银行营销数据文件应包含以下列：{columns}",
    "Line 1: the column {column} appears twice in the header": "第 1 行：表头中 {column} 列出现了两次",
    "{path} is not UTF-8 text": "{path} 不是 UTF-8 编码的文本",
    "Line {line}: the file cannot be read as ;-separated values ({reason})":
        "第 {line} 行：无法按分号分隔的格式读取（{reason}）",
    "{path} cannot be read: {reason}": "无法读取 {path}：{reason}",
    "{value} is not one of {known}": "{value} 不在 {known} 之中",
    "{value} is not a whole number from {low}": "{value} 不是不小于 {low} 的整数",
    "{year}-{month:02d} has no day {day}": "{year}-{month:02d} 没有 {day} 日",
    "{n} values where the header has {m} columns": "有 {n} 个值，而表头有 {m} 列",
    "Term deposit telemarketing 2008–2010": "定期存款电话营销 2008–2010",
    "Term deposit subscriptions by telephone (UCI Bank Marketing data set)":
        "电话营销定期存款（UCI 银行营销数据集）",
    # services/campaign_reports.py
    "Group": "客户群",
    "Contact rate": "联系率",
    "Participated": "参与",
    "The account {no} is disabled": "账号 {no} 已停用",
    "Campaign no.": "活动编号",
    "Summary": "概览",
    "Figure": "指标",
    "Only a manager or an administrator exports target lists": "只有管理人员或系统管理员可以导出目标客户名单",
    "Campaign {id} has no targets to export": "活动 {id} 没有可导出的目标客户",
    # services/sms.py
    "Only an administrator exports the SMS outbox": "只有系统管理员可以导出短信发件箱",
    # cli/import_cmd.py
    "Checking rows": "检查数据行",
    "Loading customers": "导入客户",
    "Tagging customers": "添加客户标签",
    "Loading campaign targets": "导入活动目标客户",
    "{stage}: {done} rows ({rate} rows/s)": "{stage}：{done} 行（每秒 {rate} 行）",
    "{rate} rows/s": "每秒 {rate} 行",
    "Columns not used: {columns}": "未使用的列：{columns}",
    "Nothing changed: the {n} customers of {file} are already on file, unchanged, and campaign {id} ({name}) "
    "already holds their outcomes.":
        "没有任何变化：{file} 中的 {n} 位客户均已在册且无变化，活动 {id}（{name}）已包含他们的联系结果。",
    "Customers: {added} added, {updated} updated, {unchanged} unchanged.":
        "客户：新增 {added} 位，更新 {updated} 位，未变 {unchanged} 位。",
    "Tags created: {names}.": "新建标签：{names}。",
    "Tags given to customers: {n}.": "为客户添加标签：{n} 个。",
    "Tiers: {tiers}.": "客户分层：{tiers}。",
    "Campaign {id} ({name}) created, ended, with {n} targets; {converted} converted.":
        "已创建活动 {id}（{name}），状态为已结束，目标客户 {n} 位，成交 {converted} 位。",
    "Campaign {id} ({name}) was already loaded; {n} targets added to it.":
        "活动 {id}（{name}）此前已导入；本次新增目标客户 {n} 位。",
    "{rows} rows imported in {seconds} s ({rate} rows/s). The report: ocrm report campaign {id}":
        "{rows} 行已导入，用时 {seconds} 秒（每秒 {rate} 行）。查看报表：ocrm report campaign {id}",
    # cli/report_cmd.py
    "Name the file to write with --out FILE": "请用 --out FILE 指定要写入的文件",
    "--out writes a file: choose --format csv or xlsx": "--out 用于写入文件：请选择 --format csv 或 xlsx",
    "--format {format} writes a file: name it with --out FILE": "--format {format} 会写入文件：请用 --out FILE 指定文件名",
    "Under each count: its share of the targets.": "每个数字下方为其占目标客户的比例。",
    "Campaign {id}: {name}": "活动 {id}：{name}",
    "No target carries a tag.": "目标客户均无标签。",
    "Report of campaign {id} written to {path}: {rows} rows, SHA-256 {sha}.":
        "活动 {id} 的报表已写入 {path}：{rows} 行，SHA-256 {sha}。",
    # cli/export_cmd.py
    "Targets of campaign {id} ({name}) written to {path}, masked: {rows} rows, SHA-256 {sha}.":
        "活动 {id}（{name}）的目标客户名单已脱敏写入 {path}：{rows} 行，SHA-256 {sha}。",
    # cli/sms_cmd.py
    "No message is waiting in the outbox; no file was written.": "发件箱中没有待发短信；未写入文件。",
    "{n} messages written to {path} with masked mobiles, to check the texts; they stay queued for the gateway "
    "(--for-gateway) (SHA-256 {sha}).":
        "{n} 条短信已写入 {path}（手机号已脱敏），供核对短信内容；短信仍在发件箱中等待网关导出（--for-gateway）（SHA-256 {sha}）。",
    "{n} messages written to {path} for the gateway, with full mobiles, and marked exported (SHA-256 {sha}).":
        "{n} 条短信已写入 {path} 供短信网关使用（含完整手机号），并标记为已导出（SHA-256 {sha}）。",
}
