"""Chinese texts: the customer pool (公海) and the RMs' books (私海) — service, `ocrm pool sweep`, the screen."""

ZH_POOL: dict[str, str] = {
    # services/pool.py
    "The customer pool is worked by relationship managers and managers": "客户公海由客户经理和网点负责人使用",
    "A relationship manager sees their own book only": "客户经理只能查看自己的私海客户",
    "No such relationship manager in your branch": "您的机构下没有这位客户经理",
    "Select the customers first (Space, or Ctrl+A for all)": "请先选择客户（空格键选择，Ctrl+A 全选）",
    "At most {n} customers at a time": "一次最多处理 {n} 位客户",
    "Only relationship managers claim customers from the pool": "只有客户经理可以从公海挑入客户",
    "Your account is disabled": "您的账户已停用",
    "no such customer, or not in your branch's pool": "客户不存在，或不在您所在机构的公海中",
    "no such customer, or not in your branch": "客户不存在，或不属于您的机构",
    "no such customer, or not in your customers": "客户不存在，或不是您的客户",
    "already in your book": "已在您的私海中",
    "already claimed by {name}": "已被{name}挑入",
    "already in the pool": "已在公海中",
    "already in {name}'s book": "已在{name}的私海中",
    "your book is full: at most {cap} customers (setting pool.max_book)":
        "您的私海已满：最多 {cap} 位客户（参数 pool.max_book）",
    "Give a reason for releasing the customers to the pool": "请填写将客户放弃回公海的原因",
    "A reason is at most {n} characters": "原因最多 {n} 个字",
    "{name} works outside your branch: choose a relationship manager of your branch":
        "{name}不属于您的机构，请选择本机构的客户经理",
    "{name} is not a relationship manager: customers are moved to a relationship manager":
        "{name}不是客户经理：客户只能调配给客户经理",
    "Only a manager moves customers between relationship managers": "只有网点负责人可以在客户经理之间调配客户",
    "Only an administrator runs the pool sweep": "只有系统管理员可以执行公海回收",
    # cli/pool_cmd.py
    "The customer pool.": "客户公海。",
    "No claimed customer went {days} days without a contact; nobody went back to the pool.":
        "没有挑入后 {days} 天未联系的客户，无客户回收到公海。",
    "Back to the pool, by relationship manager": "回收到公海的客户（按客户经理）",
    "Customers returned": "回收客户数",
    "{n} customers went back to the pool: no contact in the {days} days after their claim. Their relationship "
    "managers were told on their work platform.":
        "{n} 位客户已回收到公海：挑入后 {days} 天内未联系。已在工作台通知相应的客户经理。",
    # screens/customer_pool.py
    "Claim": "挑入",
    "Release": "放弃",
    "Move": "调配",
    "Claim the selected customers (or this one) into your book": "将选中的客户（或当前客户）挑入您的私海",
    "Release the selected customers (or this one) to the pool, with a reason": "将选中的客户（或当前客户）放弃回公海，需填写原因",
    "Move the selected customers (or this one) to a relationship manager": "将选中的客户（或当前客户）调配给客户经理",
    "Select every customer of this list, not only the ones shown": "选中列表中的全部客户，而不只是已显示的",
    "Deselect every customer": "取消选择全部客户",
    "Pool": "公海",
    "Show the customer pool of your branch": "显示本机构的客户公海",
    "My book": "我的私海",
    "Show your own customers (to release some)": "显示您自己的客户（可放弃回公海）",
    "Book of…": "查看私海…",
    "Pick a relationship manager and show their customers": "选择客户经理并显示其客户",
    "Filter list": "筛选",
    "Narrow the list by name, pinyin or customer number": "按姓名、拼音或客户号筛选列表",
    "Filter: name, pinyin or customer number (/)": "筛选：姓名、拼音或客户号（/）",
    "Loading the customers…": "正在读取客户…",
    "Days in pool": "在公海天数",
    "Claimed on": "挑入日期",
    "Daily-average AUM": "日均AUM",
    "No customer of this list matches “{text}”.": "列表中没有与“{text}”匹配的客户。",
    "The pool is empty: every customer has a relationship manager.": "公海为空：每位客户都有客户经理。",
    "The pool is empty: every customer of {branch} has a relationship manager.": "公海为空：{branch}的每位客户都有客户经理。",
    "Your book is empty. Press P for the pool, then C to claim customers.": "您的私海为空。按 P 查看公海，再按 C 挑入客户。",
    "{name} has no customers.": "{name}名下没有客户。",
    "Customer pool of the whole bank": "全行客户公海",
    "Customer pool of {branch}": "{branch}客户公海",
    "Book of {name} ({no})": "{name}（{no}）的私海",
    "Your book: {n} of at most {max} customers · claims without a contact go back after {days} days":
        "我的私海：{n} / 最多 {max} 位客户 · 挑入后 {days} 天未联系将回收到公海",
    "Claims without a contact go back to the pool after {days} days": "挑入后 {days} 天未联系的客户将回收到公海",
    "1 customer": "1 位客户",
    "{n} customers, {m} shown (more below)": "共 {n} 位客户，已显示 {m} 位（下方还有）",
    "{n} customers selected": "已选择 {n} 位客户",
    "1 customer selected": "已选择 1 位客户",
    "{name} is not one of your customers yet: claim them to open their profile": "{name}还不是您的客户：挑入后才能打开客户视图",
    "This list holds more than {n} customers: narrow it, or act on fewer at a time":
        "列表中的客户超过 {n} 位：请先筛选，或分批处理",
    "the {n} selected customers": "选中的 {n} 位客户",
    "the selected customer": "选中的客户",
    "Claim customers": "挑入客户",
    "Claim {n} customers into your book?": "将 {n} 位客户挑入您的私海？",
    "Claim {who} into your book?": "将{who}挑入您的私海？",
    "Your book holds {n} of at most {max} customers. Without a contact in {days} days after the claim, a customer "
    "goes back to the pool.":
        "您的私海现有 {n} 位客户，最多 {max} 位。挑入后 {days} 天内未联系的客户将回收到公海。",
    "Yes, claim": "确定挑入",
    "Move customers": "调配客户",
    "Move {n} customers to {name} ({no})?": "将 {n} 位客户调配给{name}（{no}）？",
    "Move {who} to {name} ({no})?": "将{who}调配给{name}（{no}）？",
    "Customers in {name}'s book now: {n}. Moved customers are given, not claimed: the pool's sweep leaves them "
    "alone.":
        "{name}的私海现有 {n} 位客户。调配的客户不算挑入，公海回收不会收回。",
    "Yes, move": "确定调配",
    "Release {n} customers to the pool": "将 {n} 位客户放弃回公海",
    "Release {who} to the pool": "将{who}放弃回公海",
    "Why do they go back to the pool? The reason is kept in the audit trail.": "为什么放弃回公海？原因将记入审计日志。",
    "Move {n} customers to which relationship manager?": "将 {n} 位客户调配给哪位客户经理？",
    "Move {who} to which relationship manager?": "将{who}调配给哪位客户经理？",
    "Whose book? Pick a relationship manager": "查看谁的私海？请选择客户经理",
    "{n} customers claimed into your book": "已将 {n} 位客户挑入您的私海",
    "1 customer claimed into your book": "已将 1 位客户挑入您的私海",
    "{n} customers released to the pool": "已将 {n} 位客户放弃回公海",
    "1 customer released to the pool": "已将 1 位客户放弃回公海",
    "{n} customers moved to {name}": "已将 {n} 位客户调配给{name}",
    "1 customer moved to {name}": "已将 1 位客户调配给{name}",
    "{n} could not be:": "{n} 位未能处理：",
    # screens/pool_dialogs.py
    "Customers in the book": "私海客户数",
    "Why not": "原因",
    # commands.py
    "Customers of your branch without a relationship manager, and the books of its relationship managers":
        "本机构没有客户经理的客户（公海），以及各客户经理的私海",
}
