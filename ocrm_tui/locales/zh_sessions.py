"""Chinese: sessions of logged-in terminals, roles and the right to see full customer values."""

ZH_SESSIONS: dict[str, str] = {
    "You cannot change your own role": "不能修改自己的角色",
    "{no} already has the role {role}": "{no} 的角色已经是 {role}",
    "Choose grant, withdraw or role": "请选择 grant（授予）、withdraw（收回）或 role（按角色）",
    "Your session has ended; log in again.": "您的会话已结束，请重新登录。",
    "Only an administrator can see or end staff sessions": "只有管理员可以查看或结束员工会话",
    "Your account was disabled by an administrator; you have been logged out.": "您的账号已被管理员停用，您已被登出。",
    "Your account was locked; you have been logged out.": "您的账号已被锁定，您已被登出。",
    "Your password was changed; log in again with the new password.": "您的密码已修改，请用新密码重新登录。",
    "Your role was changed by an administrator; log in again.": "管理员修改了您的角色，请重新登录。",
    "An administrator ended your session; log in again.": "管理员结束了您的会话，请重新登录。",
    "A terminal reports every 5–60 seconds": "终端每 5–60 秒报到一次",
    "Audit and login records are kept at least 3 years": "审计与登录记录至少保留 3 年",
    "Setting {key} is a list of roles from: {roles}": "设置 {key} 是角色列表，可选：{roles}",
    "{no} now has the role {role}.": "{no} 的角色已改为 {role}。",
    "Logged in": "登录时间",
    "Last heard": "最近报到",
    "Sessions": "会话数",
    "{n} open session(s) of {no} ended: their terminals return to the login screen within a minute.":
        "已结束 {no} 的 {n} 个会话：其终端将在一分钟内回到登录界面。",
    "Open sessions": "在线会话",
    "{n} member(s) of staff are logged in on more than one terminal.": "{n} 名员工同时在多个终端登录。",
    "{no} has no open session.": "{no} 没有在线会话。",
    "Nobody is logged in.": "当前无人登录。",
    "No open sessions match.": "没有符合条件的在线会话。",
    "{no} may now see full customer values; each view is audited.": "{no} 现在可以查看客户完整信息，每次查看都会审计。",
    "{no} now sees customer data masked only.": "{no} 现在只能查看脱敏后的客户信息。",
    "{no} sees full customer values as their role allows (setting unmask.roles).":
        "{no} 能否查看客户完整信息按其角色决定（设置 unmask.roles）。",
}
