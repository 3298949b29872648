"""Chinese catalogue: the quarterly review of privileged operations and the audit archive."""

ZH_AUDIT: dict[str, str] = {
    # services/audit_review.py
    "Tier overrides": "手工调整客户等级",
    "Exports": "数据导出",
    "Access requests and grants": "访问申请与授权",
    "Roles and permissions": "角色与权限变更",
    "Unlocks and lockouts": "解锁与锁定",
    "Sessions ended by admins": "管理员结束的会话",
    "{value!r} is not a quarter like 2026Q3": "{value!r} 不是 2026Q3 这样的季度",
    "The quarter {quarter} has not begun yet": "季度 {quarter} 尚未开始",
    "a record is missing (deleted)": "有记录缺失（已被删除）",
    "a record was altered": "有记录被修改",
    "a record does not link to the one before it": "有记录与前一条记录链接不上",
    "the newest records were deleted": "最新的记录被删除",
    "the archive anchor does not match the trail": "归档锚点与审计链不符",
    "Of": "对象",
    "Rows": "行数",
    "File": "文件",
    "SHA-256": "SHA-256",
    "Request": "申请",
    "Action": "操作",
    "Staff member": "员工",
    "Staff member or setting": "员工或参数",
    "Before": "变更前",
    "After": "变更后",
    "Event": "事件",
    "Terminal": "终端",
    "as the role allows": "按角色",
    "the system": "系统",
    "Only an administrator reviews privileged operations": "只有管理员可以审查高权限操作",
    "Audit chain": "审计链",
    "Records checked": "已校验记录数",
    "tier set by hand": "手工设置等级",
    "campaign target list": "营销活动目标名单",
    "report": "报表",
    "SMS outbox": "短信发件箱",
    "SMS outbox for the gateway (unmasked)": "发往短信网关的发件箱（未脱敏）",
    "audit review": "审计审查",
    "requested": "已申请",
    "approval used": "审批已使用",
    "access granted": "已授予访问",
    "role changed": "角色已变更",
    "right to see full values changed": "查看完整信息的权限已变更",
    "staff member added": "新增员工",
    "account disabled": "账户已停用",
    "setting changed": "参数已修改",
    "account unlocked": "账户已解锁",
    "account locked by an administrator": "管理员锁定账户",
    "account locked after wrong passwords": "密码错误次数过多，账户被锁定",
    "password reset by an administrator": "管理员重置密码",
    "session ended": "会话已结束",
    "logged out": "已退出登录",
    "account locked": "账户已锁定",
    "password changed or reset": "密码已修改或重置",
    "ended by an administrator": "由管理员结束",
    "{tier} (back to automatic)": "{tier}（恢复自动评级）",
    "back to automatic": "恢复自动评级",
    "role {role}": "角色 {role}",
    "intact": "完好",
    "broken": "已损坏",
    "First bad record": "第一条异常记录",
    "Head": "链头",
    "Archived up to record": "已归档至记录",
    "granted": "已授予",
    # services/audit_archive.py
    "Only an administrator archives the audit trail": "只有管理员可以归档审计记录",
    "Audit and login records are kept {years} years (setting retention.years): archive before {day} or an earlier day":
        "审计与登录记录须保留 {years} 年（参数 retention.years）：归档截止日期最晚为 {day}",
    "Nothing to archive: no audit records before {day} are left in the database":
        "没有可归档的记录：数据库中已没有 {day} 之前的审计记录",
    "The audit trail does not verify (record {seq}); nothing was archived. Check it with ocrm audit verify":
        "审计链校验未通过（记录 {seq}）；未归档任何记录。请用 ocrm audit verify 检查",
    "The records changed while they were archived; nothing was archived. Try again":
        "归档期间记录发生了变化；未归档任何记录。请重试",
    "No archive file {path}": "没有归档文件 {path}",
    "The archive file did not verify when read back ({problem}); nothing was archived":
        "归档文件回读校验未通过（{problem}）；未归档任何记录",
    "Could not write the archive file {path}: {reason}": "无法写入归档文件 {path}：{reason}",
    "Nothing to archive: no audit records before {day} are left in the database; the {n} login attempts before "
    "that day are archived only together with audit records: archive before a later day":
        "没有可归档的记录：数据库中已没有 {day} 之前的审计记录；该日之前的 {n} 条登录记录只与审计记录一同归档："
        "请选择更晚的截止日期",
    "{path} already exists; an archive never replaces a file: choose another name":
        "{path} 已存在；归档从不覆盖文件：请换一个文件名",
    "An archive file named {name} is already recorded (the cut before {day}); choose another name":
        "已登记过名为 {name} 的归档文件（{day} 之前的归档）；请换一个文件名",
    "An archive file with the same content is already recorded (the cut before {day}, {name}); nothing was archived":
        "已登记过内容相同的归档文件（{day} 之前的归档，{name}）；未归档任何记录",
    "The audit trail changed meanwhile; nothing was archived. Run it again":
        "归档期间审计记录发生了变化；未归档任何记录。请重新执行",
    # cli/audit_cmd.py
    "Review of privileged operations, {quarter}": "高权限操作审查，{quarter}",
    "Archived audit records {first}–{last} ({n}) and {m} login attempts written before {day} to {path}; SHA-256 {sha}.":
        "已将 {day} 之前的审计记录 {first}–{last}（{n} 条）和 {m} 条登录尝试归档到 {path}；SHA-256 {sha}。",
    "The trail in the database continues after record {seq} (hash {hash}). Keep the file: ocrm audit verify --archive FILE checks it.":
        "数据库中的审计链从记录 {seq} 之后继续（哈希 {hash}）。请妥善保存该文件：可用 ocrm audit verify --archive FILE 校验。",
    "Review {quarter} written to {path}: {rows} rows, SHA-256 {sha}.":
        "审查 {quarter} 已写入 {path}：{rows} 行，SHA-256 {sha}。",
    "Archiving removes records from the database: add --yes to archive without a terminal to ask on.":
        "归档会从数据库中删除记录：没有可确认的终端时，请加 --yes 进行归档。",
    "Move audit records {first}–{last} ({n}) and {m} login attempts written before {day} to {path} and remove them from the database?":
        "将 {day} 之前的审计记录 {first}–{last}（{n} 条）和 {m} 条登录尝试移至 {path} 并从数据库中删除？",
    "archive {file}: records {first}–{last} ({n}) and {m} login attempts intact":
        "归档 {file}：记录 {first}–{last}（{n} 条）和 {m} 条登录尝试完好",
    "the audit trail in the database has not been archived, so it does not continue from {file}":
        "数据库中的审计链尚未归档过，因此并非接续 {file}",
    "it continues from the archive cut after record {seq}": "接续记录 {seq} 之后的归档截点",
    "the archive cut after record {seq} does not match the archive record in the trail":
        "记录 {seq} 之后的归档截点与审计链中的归档记录不符",
    "it is not a complete audit archive file": "不是完整的审计归档文件",
    "its content was changed after it was written (the closing SHA-256 does not match)":
        "文件写入后内容被改动（末行 SHA-256 不符）",
    "it does not continue from the archive before it": "未接续前一个归档",
    "record {seq} is missing": "记录 {seq} 缺失",
    "record {seq} does not link to the record before it": "记录 {seq} 与前一条记录链接不上",
    "its counts do not match its records": "文件中的计数与记录不符",
    "it does not follow the archive before it (record {seq})": "未紧接前一个归档（记录 {seq}）",
    "the database has no archive cut that ends where this file ends": "数据库中没有在该文件结束处截断的归档记录",
    "it is not the file the database recorded for this cut (SHA-256 differs)":
        "不是数据库为该截点记录的文件（SHA-256 不同）",
    "{title}: none": "{title}：无",
    "archive {file} does not verify: {why}": "归档 {file} 校验未通过：{why}",
    "the audit trail in the database does not continue from {file}: it continues after record {seq}; give the archive files up to that record":
        "数据库中的审计链并非接续 {file}：它从记录 {seq} 之后继续；请提供截至该记录的全部归档文件",
    "Nothing was archived.": "未归档任何记录。",
    "Nothing was archived: no answer.": "未归档任何记录：没有得到确认。",
    "export": "导出",
    "hours": "时长（小时）",
    "reason": "理由",
    "note": "备注",
    "until": "有效至",
}
