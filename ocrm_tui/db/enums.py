"""The bank's vocabulary as enumerations: organisation levels, roles, tiers, products, channels.

Kept apart from the tables so that the command line can name them without loading
the ORM (start-up time).
"""

from enum import StrEnum


class OrgLevel(StrEnum):
    HEAD = "head"
    BRANCH1 = "branch1"
    BRANCH2 = "branch2"
    SUBBRANCH = "subbranch"
    OUTLET = "outlet"


ORG_LEVEL_ORDER = [OrgLevel.HEAD, OrgLevel.BRANCH1, OrgLevel.BRANCH2, OrgLevel.SUBBRANCH, OrgLevel.OUTLET]


class Role(StrEnum):
    TELLER = "teller"
    RM = "rm"
    MANAGER = "manager"
    ADMIN = "admin"


class Tier(StrEnum):
    MASS = "mass"
    VIP = "vip"
    WEALTH = "wealth"
    PRIVATE = "private"


class ProductType(StrEnum):
    DEPOSIT = "deposit"
    WEALTH = "wealth"
    FUND = "fund"
    INSURANCE = "insurance"
    LOAN = "loan"
    CREDIT_CARD = "credit_card"
    METAL = "metal"


class Channel(StrEnum):
    COUNTER = "counter"
    ATM = "atm"
    POS = "pos"
    PHONE = "phone"
    ONLINE = "online"
    MOBILE = "mobile"


class TagFamily(StrEnum):
    DEMOGRAPHIC = "demographic"
    BEHAVIOUR = "behaviour"
    ATTITUDE = "attitude"
    RELATIONSHIP = "relationship"
    CUSTOM = "custom"


class TicketType(StrEnum):
    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class TicketPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TicketStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    RESPONDED = "responded"
    CLOSED = "closed"


class CampaignType(StrEnum):
    SMS = "sms"  # SMS blast 短信群发
    BENEFIT = "benefit"  # benefit claim 权益领取
    SALON = "salon"  # offline salon 线下沙龙
    PHONE = "phone"  # phone outreach 电话营销


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class TargetStatus(StrEnum):
    PENDING = "pending"
    CONTACTED = "contacted"
    INTERESTED = "interested"
    CONVERTED = "converted"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
