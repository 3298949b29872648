"""Chinese texts of tags and tiers (services/tags.py, services/tiers.py, `ocrm tag`, `ocrm tiers`)."""

ZH_TAGS: dict[str, str] = {
    # services/tags.py
    # family and tier names: the same words (and translations) as the screens' (zh_profile)
    "Demographic": "人口属性",
    "Behaviour": "行为",
    "Attitude": "态度",
    "Relationships": "社会关系",
    "Custom": "自定义",
    "Only a manager or an administrator can add, rename or merge tags": "只有网点负责人或系统管理员可以新增、重命名或合并标签",
    "Tellers add tags one customer at a time and do not remove them; ask the customer's relationship manager":
        "柜员只能为单个客户添加标签，不能移除标签；请联系该客户的客户经理",
    "Your role cannot tag customers": "您的角色不能给客户打标签",
    "A tag name has 1–{max} characters": "标签名称为 1–{max} 个字符",
    "Family must be one of: {families}": "标签类别必须是以下之一：{families}",
    "A tag named {name} already exists (family: {family})": "名为 {name} 的标签已存在（类别：{family}）",
    "No tag named {name}": "没有名为 {name} 的标签",
    "A tag cannot be merged into itself": "标签不能合并到自身",
    # services/tiers.py
    "Mass customer": "大众客户",
    "VIP customer": "贵宾客户",
    "Wealth customer": "财富客户",
    "Private banking customer": "私行客户",
    "The tier thresholds setting must give rising amounts for vip, wealth and private":
        "分层阈值设置必须按贵宾、财富、私行依次递增",
    "Only an administrator can recompute tiers": "只有系统管理员可以重新计算客户分层",
    # ocrm tag
    "Added tag {name} ({family}).": "已添加标签 {name}（{family}）。",
    "No tags yet. Add one with: ocrm tag add NAME --family FAMILY": "还没有标签。请用以下命令添加：ocrm tag add 名称 --family 类别",
    "Tags": "标签",
    "Family": "类别",
    "Tag": "标签",
    "Customers tagged": "客户数",
    "Renamed tag {old} to {new}.": "已将标签 {old} 重命名为 {new}。",
    "Merge tag {source} (customers: {n}) into {target} (customers: {m}) and delete {source}?":
        "将标签 {source}（客户数：{n}）合并到 {target}（客户数：{m}）并删除 {source}？",
    "Nothing was merged: no answer. Add --yes to merge without being asked.": "未合并：没有得到确认。加上 --yes 可不经询问直接合并。",
    "Nothing was merged.": "未合并任何标签。",
    "Merged tag {source} into {target} (customers moved: {n}); {source} is deleted.":
        "已将标签 {source} 合并到 {target}（转移客户数：{n}）；{source} 已删除。",
    # ocrm tiers
    "Thresholds (daily-average AUM, CNY): VIP from {vip}, wealth from {wealth}, private banking from {private}.":
        "分层阈值（日均资产，人民币元）：贵宾客户 {vip} 起，财富客户 {wealth} 起，私行客户 {private} 起。",
    "Tier changes": "分层变动",
    "From": "原分层",
    "To": "新分层",
    "Number of customers": "客户数",
    "{changed} of {checked} customers changed tier.": "{checked} 位客户中有 {changed} 位分层发生变动。",
    "{n} manual overrides left alone ({d} of them differ from the automatic tier).":
        "{n} 位手工调整分层的客户保持不变（其中 {d} 位与自动分层不同）。",
}
