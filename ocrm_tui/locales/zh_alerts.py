"""Chinese texts of alerts and reminders: kinds, actions, what an alert says, `ocrm alerts`."""

ZH_ALERTS: dict[str, str] = {
    # kinds and actions
    "Large outflow": "大额资金流出",
    "Assets falling": "资产连续下降",
    "Product maturing": "产品到期",
    "Birthday": "客户生日",
    "Service contact due": "服务回访到期",
    "Ticket overdue": "工单超时",
    "Product offered": "已推荐产品",
    "Escalated": "已上报",
    "No action needed": "无需处理",
    # what an alert says
    "Single outflow of {amount} CNY on {date}": "单笔流出 {amount} 元（{date}）",
    "Daily-average assets down {months} months in a row, from {start} to {end} CNY in {month}":
        "日均资产连续 {months} 个月下降，从 {start} 元降至 {end} 元（{month}）",
    "{product} (account {account}) matures on {date}": "{product}（账户 {account}）将于 {date} 到期",
    "Birthday on {date} (turns {age})": "{date} 生日（{age} 岁）",
    "Birthday on {date}": "{date} 生日",
    "No contact for {days} days (last on {date})": "已 {days} 天未联系（上次联系：{date}）",
    "No service contact on record": "无服务联系记录",
    # handling and reading
    "{who} already handled this alert on {time} ({action})": "{who} 已于 {time} 处理此提醒（{action}）",
    "Unknown action {action}; choose one of: {choices}": "未知的处理方式 {action}；可选：{choices}",
    "The note is too long (at most {n} characters)": "说明过长（最多 {n} 个字符）",
    "Say why no action is needed": "请说明无需处理的原因",
    "An alert is handled by a member of staff, not from the server": "提醒须由员工本人处理，不能在服务器上处理",
    "No such alert, or not for you": "提醒不存在，或不是发给您的",
    "Only an administrator runs the alert scan": "只有系统管理员可以运行预警扫描",
    "Unknown severity {value}": "未知的级别 {value}",
    "Unknown category {value}": "未知的类别 {value}",
    # ocrm alerts scan / list
    "Alerts raised": "新增预警与提醒",
    "Kind": "类型",
    "Raised": "新增",
    "Severity": "级别",
    "{n} new alerts in {seconds} s.": "新增提醒 {n} 条，用时 {seconds} 秒。",
    "{category}: {high} high, {medium} medium, {low} low": "{category}：高 {high}，中 {medium}，低 {low}",
    "No open alerts.": "没有待处理的提醒。",
}
