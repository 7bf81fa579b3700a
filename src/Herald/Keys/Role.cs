namespace Herald.Keys;

public static class Roles
{
    public const string Operator = "operator";
    public const string Admin = "admin";
    public const string Member = "member";

    public static readonly string[] ProjectRoles = [Admin, Member];
}
