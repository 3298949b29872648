"""Chinese for access requests, their decisions and approved unmasked exports (services and `ocrm access`)."""

ZH_ACCESS: dict[str, str] = {
    # services/access.py
    "{who} {status} this request at {time}": "{who} 于 {time} {status}此申请",
    "No such access request, or not one you may see": "没有该访问申请，或您无权查看",
    "Purpose": "用途",
    "A note saying why": "说明理由的备注",
    "You cannot approve your own request": "不能审批自己的申请",
    "An access request is decided by a named member of staff, not by the server's account":
        "访问申请须由具名员工审批，不能以服务器账户审批",
    "Only the requester's manager or an administrator decides an access request":
        "只有申请人所属机构的主管或管理员可以审批访问申请",
    "Access is asked for 1–{max} hours (setting access.max_hours)": "申请时长为 1–{max} 小时（设置项 access.max_hours）",
    "Not a customer number: {numbers}": "不是有效的客户号：{numbers}",
    "At most {max} customers in one request ({n} given)": "一次申请最多 {max} 位客户（提交了 {n} 位）",
    "No such campaign": "没有该营销活动",
    "The saved search of campaign {id} has no conditions: it would name every customer":
        "营销活动 {id} 的筛选条件为空：将包含所有客户",
    "The saved search of campaign {id} is too long for a request": "营销活动 {id} 的筛选条件过长，无法用于申请",
    "An access request is made by a named member of staff, not by the server's account":
        "访问申请须由具名员工提出，不能以服务器账户提出",
    "Name the customers either by customer numbers or by a saved search, one of the two":
        "请用客户号或已保存的筛选条件指定客户，二者选其一",
    "The export is named targets:<campaign no.>, sms:<campaign no.> or sms:all":
        "导出内容写作 targets:<活动编号>、sms:<活动编号> 或 sms:all",
    "This request is no longer pending: {what}": "此申请已不在待审批状态：{what}",
    "Only the member of staff who asked withdraws a request": "只有申请人本人可以撤回申请",
    "Only an approved request that is still running can be revoked: {what}": "只能收回已批准且仍在有效期内的申请：{what}",
    "Request {id} is not yours: an approved export is made by the member of staff who asked for it":
        "申请 {id} 不是您的：经批准的导出只能由申请人本人执行",
    "Request {id} is for customers, not for an export": "申请 {id} 是客户访问申请，不是导出申请",
    "Request {id} has been used already: an approval is for one export": "申请 {id} 已使用：一次批准只能导出一次",
    "The approval of request {id} has expired; ask again": "申请 {id} 的批准已过期，请重新申请",
    "Request {id} is {status}, not approved": "申请 {id} 的状态为{status}，未获批准",
    "Request {id} approves the export {approved}, not {what}": "申请 {id} 批准的导出是 {approved}，不是 {what}",
    "customers": "客户",
    "unmasked export": "不脱敏导出",
    "A saved search is named by its campaign number": "已保存的筛选条件以营销活动编号指定",
    "This request changed while you had it open; nothing was changed": "您查看期间此申请已被他人修改，未作任何更改",
    "; nothing was changed": "，未作任何更改",
    "Someone else decided this request at the same moment; nothing was changed": "其他人同时审批了此申请，未作任何更改",
    "The saved search matches {n} customers in your scope; at most {max} are granted at once":
        "该筛选条件在您的范围内匹配 {n} 位客户；一次最多授权 {max} 位",
    "None of the customers asked for is in your scope; nothing can be granted (reject the request instead)":
        "所申请的客户均不在您的范围内，无法授权（请驳回该申请）",
    # services/campaign_reports.py, services/sms.py
    "unmasked, approved by {decider} under request {id}": "不脱敏，经 {decider} 批准（申请 {id}）",
    "A file with full mobiles needs an approved export request for {what}; ask for one and name it":
        "含完整手机号的文件需要已批准的 {what} 导出申请；请先申请并在导出时注明",
    "File: {name}": "文件：{name}",
    "Messages: {n}": "短信条数：{n}",
    "SHA-256: {sha}": "SHA-256：{sha}",
    # cli/access_cmd.py
    "{n} customers: {numbers}": "{n} 位客户：{numbers}",
    "Request {id} ({what}) is {status}": "申请 {id}（{what}）状态：{status}",
    "export {what}": "导出 {what}",
    "search: {words}": "筛选：{words}",
    ", until {time}": "，有效至 {time}",
    "Requester": "申请人",
    "Asked for": "申请内容",
    "Requested / decided": "申请 / 审批",
    "A request is made by a member of staff: name them with --as EMPLOYEE_NO": "申请须由员工提出：请用 --as 工号 指定",
    "Name the customers with --customers C1,C2 or --campaign-filter ID (one of the two)":
        "请用 --customers C1,C2 或 --campaign-filter 编号 指定客户（二者选其一）",
    "It waits for your manager's or an administrator's decision.": "等待您的主管或管理员审批。",
    "{who} until {time}": "{who}，有效至 {time}",
    "Granted: {n} customers.": "已授权：{n} 位客户。",
    "You have made no access request.": "您还没有提出过访问申请。",
    "Waiting for my decision": "待我审批",
    "Not in your customers, not granted: {numbers}": "不在您的客户范围内，未授权：{numbers}",
    # cli/export_cmd.py, cli/sms_cmd.py
    "--request names the approval of an unmasked export: add --unmasked": "--request 指定不脱敏导出的批准：请加上 --unmasked",
    "An unmasked export needs an approved request: ask with `ocrm access request-export --what targets:{id} "
    "--purpose TEXT --hours N --as EMPLOYEE_NO`, then name it with --request N":
        "不脱敏导出需要已批准的申请：请用 `ocrm access request-export --what targets:{id} --purpose 用途 --hours N "
        "--as 工号` 申请，获批后用 --request N 注明",
    "Targets of campaign {id} ({name}) written to {path} with full names and mobiles under request {request}: "
    "{rows} rows, SHA-256 {sha}.":
        "营销活动 {id}（{name}）的目标客户已写入 {path}，含完整姓名和手机号（申请 {request}）：{rows} 行，SHA-256 {sha}。",
    "--request names the approval of a file with full mobiles: add --for-gateway":
        "--request 指定含完整手机号文件的批准：请加上 --for-gateway",
    "A file with full mobiles needs an approved request: ask with `ocrm access request-export --what {what} "
    "--purpose TEXT --hours N --as EMPLOYEE_NO`, then name it with --request N --as EMPLOYEE_NO":
        "含完整手机号的文件需要已批准的申请：请用 `ocrm access request-export --what {what} --purpose 用途 --hours N "
        "--as 工号` 申请，获批后用 --request N --as 工号 注明",
    "The manifest {path} names the exporter, the approval, the rows and the SHA-256.":
        "清单文件 {path} 记录了导出人、批准、行数和 SHA-256。",
    # Deciding in person, the approver's own scope, the unmask right
    "Password of {no}": "{no} 的密码",
    "An unmasked export needs the right to see full customer values, which you do not have":
        "不脱敏导出需要查看完整客户信息的权限，您没有该权限",
    "Request {id} asks for {n} hours, more than the {max} hours now allowed (setting access.max_hours); reject it, "
    "and the requester can ask again":
        "申请 {id} 要求 {n} 小时，超过当前允许的 {max} 小时（设置项 access.max_hours）；请驳回，申请人可重新申请",
    # Words the request list shares with the access-requests screen.
    "Reason": "理由",
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "revoked": "已收回",
    "used": "已使用",
    "expired": "已过期",
    "Why": "理由",
    "No request waits for your decision.": "没有待您审批的申请。",
    "My requests": "我的申请",
    "{n} h": "{n} 小时",
}
