"""Chinese texts: work_platform (F5: today's work, handling an alert)."""

ZH_WORK_PLATFORM: dict[str, str] = {
    # services/work_platform.py
    "Tickets due": "到期工单",
    "Counter queue": "柜面工单",
    "Alerts": "风险预警",
    "Reminders": "服务提醒",
    "To contact": "待联系",
    "All": "全部",
    "Overdue ticket": "超时工单",
    "Due today": "今日到期",
    "{n} to contact": "{n} 位待联系",
    # screens/panes/work_platform.py
    "Nothing waits for you today: no tickets due, no alerts, no reminders, no one to contact.":
        "今天没有待办事项：没有到期工单、预警、提醒，也没有待联系的客户。",
    "No ticket of yours is overdue or due today.": "您没有超时或今日到期的工单。",
    "Every ticket you raised at the counter is closed.": "您在柜面登记的工单都已办结。",
    "No open alerts. Risk signals about your customers appear here.": "没有待处理的预警。您客户的风险信号会显示在这里。",
    "No reminders. Birthdays, maturities and customers due a call appear here.":
        "没有提醒。客户生日、产品到期和需要回访的客户会显示在这里。",
    "No campaign targets to contact.": "没有待联系的营销目标客户。",
    "today": "今天",
    "in {n}d": "{n} 天后",
    "Handle alert": "处理预警",
    "Record what was done about this alert or reminder": "记录对该预警或提醒的处理情况",
    "Next section": "下一栏",
    "Show the next section": "显示下一栏",
    "Previous section": "上一栏",
    "Show the previous section": "显示上一栏",
    "Customer pool": "客户公海",
    "Customers of your branch without an RM: claim them, or move books between RMs":
        "本机构尚无客户经理的客户：可挑入，或在客户经理之间调配客户",
    "Show a section by its number": "按编号显示栏目",
    "Show the section with this number on its card": "显示卡片上对应编号的栏目",
    "Show the section with this number": "显示对应编号的栏目",
    "everything below": "以下全部事项",
    "{n} overdue": "超时 {n}",
    "{n} today": "今日 {n}",
    "in {n} campaigns": "共 {n} 个活动",
    "in 1 campaign": "共 1 个活动",
    "open": "未办结",
    "What": "事项",
    "Details": "详情",
    "{section}: {n} items, the {m} most urgent shown": "{section}：共 {n} 项，显示最紧急的 {m} 项",
    "{section}: {n} items": "{section}：{n} 项",
    "!! urgent  ! soon  · when you can": "!! 紧急  ! 尽快  · 择时处理",
    "none open": "无待处理",
    "This customer is back in the branch pool; press P to see the pool.": "该客户已退回本机构公海；按 P 查看公海。",
    "{what}: {action}": "{what}：{action}",
    # cli/demo_cmd.py
    "The alert scan raised {n} alerts and reminders for the work platform (F5).":
        "预警扫描已生成 {n} 条预警与提醒，可在工作台（F5）查看。",
    # screens/alert_dialog.py
    "Record": "记录",
    "Record what was done": "记录处理情况",
    "Close without recording": "关闭，不记录",
    "What was done": "处理方式",
    "Note (the reason, when nothing was done)": "备注（未处理时请写明原因）",
    "e.g. called, customer will visit on Friday": "例如：已电话联系，客户周五来网点",
    "Choose what was done": "请选择处理方式",
    "Write why nothing was done": "请写明未处理的原因",
}
