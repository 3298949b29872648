"""Chinese texts of the services (messages a user can cause) and configuration."""

ZH_CORE: dict[str, str] = {
    # errors.py / scope
    "No such customer, or not in your customers": "客户不存在，或不在您的客户范围内",
    # settings
    "Unknown setting {key}": "未知的设置项 {key}",
    "Setting {key} needs a value like {example}": "设置项 {key} 的取值应类似 {example}",
    # auth
    "The password must have at least {n} characters": "密码至少需要 {n} 个字符",
    "The password must not start or end with spaces": "密码不能以空格开头或结尾",
    "This account is locked. Ask an administrator to unlock it.": "该账号已锁定，请联系系统管理员解锁。",
    "This account is locked until {time}. Ask an administrator to unlock it sooner.": "该账号已锁定至 {time}，如需提前解锁请联系系统管理员。",
    "Wrong employee number or password": "员工号或密码错误",
    "This account is disabled. Ask an administrator.": "该账号已停用，请联系系统管理员。",
    "The new password must differ from the old one": "新密码不能与旧密码相同",
    # users
    "Only an administrator can manage staff accounts": "只有系统管理员可以管理员工账号",
    "No staff member with employee number {no}": "没有员工号为 {no} 的员工",
    "Skill {skill!r} must be lower-case letters, digits or '_'": "技能 {skill!r} 只能包含小写字母、数字或“_”",
    "Employee number must be 2–32 letters, digits, '-' or '_'": "员工号须为 2–32 位字母、数字、“-”或“_”",
    "Name is required": "姓名为必填项",
    "Role must be one of: {roles}": "角色必须是以下之一：{roles}",
    "Employee number {no} already exists": "员工号 {no} 已存在",
    "You cannot disable your own account": "不能停用自己的账号",
    # orgs
    "No organisation with code {code}": "没有代码为 {code} 的机构",
    "Only an administrator can change the organisation tree": "只有系统管理员可以修改机构树",
    "Organisation code must be 1–32 letters, digits, '-' or '_'": "机构代码须为 1–32 位字母、数字、“-”或“_”",
    "Organisation name is required": "机构名称为必填项",
    "Level must be one of: {levels}": "机构层级必须是以下之一：{levels}",
    "Organisation code {code} already exists": "机构代码 {code} 已存在",
    "The head office has no parent": "总行没有上级机构",
    "A {level} needs --parent": "{level} 需要指定 --parent 上级机构",
    "A {level} cannot sit under a {parent_level}": "{level} 不能隶属于 {parent_level}",
    # config
    "Cannot read the configuration file {path}: {error}": "无法读取配置文件 {path}：{error}",
    "The configuration file {path} holds a database password. Remove it and store it with `ocrm db set-password`.":
        "配置文件 {path} 中包含数据库密码。请删除该密码，并使用 `ocrm db set-password` 保存。",
    "No keyring backend is available on this machine; the database password cannot be stored.":
        "本机没有可用的密钥环（keyring），无法保存数据库密码。",
    "No keyring backend is available on this machine; the password was not stored. Install a keyring backend (for example Secret Service) or enter the password when asked.":
        "本机没有可用的密钥环（keyring），密码未保存。请安装密钥环后端（例如 Secret Service），或在提示时输入密码。",
    "Not a database URL: {url} ({error})": "不是有效的数据库地址：{url}（{error}）",
    "No database file at {path}": "{path} 处没有数据库文件",
    "Cannot reach the database {url}: {reason}": "无法连接数据库 {url}：{reason}",
    "The database {url} has a schema newer than this version of ocrm ({current}); upgrade ocrm.":
        "数据库 {url} 的结构版本（{current}）比当前 ocrm 新，请升级 ocrm。",
    "The database {url} needs its schema brought up to date. Run: ocrm db upgrade":
        "数据库 {url} 的结构需要升级。请运行：ocrm db upgrade",
    # cli/common.py (shared by every command)
    "Error": "错误",
    "Database password": "数据库密码",
    "Interrupted; nothing more was done.": "已中断，未再执行任何操作。",
    "The database failed: {reason}": "数据库出错：{reason}",
    "The database refused the operation: {reason}": "数据库拒绝了该操作：{reason}",
    # validation.py
    "A resident ID number has 18 characters": "居民身份证号码应为 18 位",
    "A resident ID number is 17 digits and a final digit or X": "居民身份证号码为 17 位数字加 1 位数字或 X",
    "The check digit of this ID number is wrong: check for a mistyped digit": "证件号码校验位不正确，请检查是否输错数字",
    "Digits 7–14 of this ID number are not a real birth date": "证件号码第 7–14 位不是有效的出生日期",
    "Digits 7–14 of this ID number are a birth date in the future": "证件号码第 7–14 位的出生日期晚于今天",
    "The first two digits of this ID number are not a province": "证件号码前两位不是有效的省级代码",
    "The ID number gives the birth date {born}, not {given}": "证件号码对应的出生日期是 {born}，而不是 {given}",
    "The ID number belongs to a {sex} customer": "该证件号码属于{sex}性客户",
    "male": "男",
    "female": "女",
    "A mobile number is 11 digits starting with 13–19": "手机号码为以 13–19 开头的 11 位数字",
    "This is not an e-mail address": "这不是有效的电子邮箱地址",
    "{value} is not an amount": "{value} 不是有效金额",
    "An amount has at most two decimal places": "金额最多保留两位小数",
    "The amount must be between {low} and {high}": "金额必须在 {low} 到 {high} 之间",
}
