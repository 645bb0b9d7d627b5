"""Server settings of the providers export sales teams use most (from their help pages)."""

from __future__ import annotations

PRESETS = {
    # provider: (imap host, imap port, imap mode, smtp host, smtp port, smtp mode)
    "alibaba": ("imap.qiye.aliyun.com", 993, "tls", "smtp.qiye.aliyun.com", 465, "tls"),
    "exmail": ("imap.exmail.qq.com", 993, "tls", "smtp.exmail.qq.com", 465, "tls"),
    "netease": ("imaphz.qiye.163.com", 993, "tls", "smtphz.qiye.163.com", 994, "tls"),
    "google": ("imap.gmail.com", 993, "tls", "smtp.gmail.com", 465, "tls"),
    "microsoft": ("outlook.office365.com", 993, "tls", "smtp.office365.com", 587, "starttls"),
}
