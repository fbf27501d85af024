from pydantic import BaseModel

from app.models import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserRef(BaseModel):
    id: int
    email: str
    name: str


class CampaignRef(BaseModel):
    id: int
    slug: str
    name: str


class MeOut(BaseModel):
    user: UserRef
    campaign: CampaignRef
    role: Role
